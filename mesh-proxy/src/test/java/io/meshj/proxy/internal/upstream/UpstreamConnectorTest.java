package io.meshj.proxy.internal.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.transport.Transport;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pools of addresses that went away do not stay behind (pods come and go). */
class UpstreamConnectorTest {

    private final Transport transport = Transport.best();
    private final EventLoopGroup group = transport.newGroup(1, "test");
    private final UpstreamConnector connector = new UpstreamConnector(transport, transport.newResolver(),
            Duration.ofMillis(300), 65536, new DefaultChannelGroup(GlobalEventExecutor.INSTANCE), null);

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final io.meshj.metrics.MeshMetrics METRICS = io.meshj.metrics.MeshMetrics.create();
    private static final java.util.function.Supplier<io.meshj.metrics.TcpMetrics.Connection> METER =
            () -> METRICS.tcp().connected("outbound", io.meshj.metrics.TlsStatus.LOOPBACK, "127.0.0.1:1", java.util.Map.of());

    private static final UpstreamListener IGNORE = new UpstreamListener() {
        @Override
        public void onResponseObject(HttpObject msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void onUpstreamReadComplete() {
        }

        @Override
        public void onUpstreamWritabilityChanged(boolean writable) {
        }

        @Override
        public void onUpstreamReset(Http2Error error) {
        }

        @Override
        public void onUpstreamRefused() {
        }

        @Override
        public void onUpstreamClosed(Throwable cause) {
        }
    };

    @Test
    void anHttp1PoolGoesWithItsLastConnection() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            EventLoop loop = group.next();
            Authority address = Authority.parse("127.0.0.1:" + server.getLocalPort());
            Future<UpstreamLease> lease = loop.submit(() -> connector.acquire(loop, address, null, false, IGNORE, METER)).get().await();
            assertThat(lease.isSuccess()).isTrue();
            assertThat(connector.poolCount()).isEqualTo(1);

            loop.submit(() -> lease.getNow().release(false)).get(); // not reusable: the connection closes
            await().atMost(Duration.ofSeconds(5)).until(() -> loop.submit(connector::poolCount).get() == 0);
        }
    }

    @Test
    void anHttp2ListGoesWithItsLastConnection() throws Exception {
        // A server that accepts and never speaks HTTP/2: the connection fails after the connect timeout.
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            EventLoop loop = group.next();
            Authority address = Authority.parse("127.0.0.1:" + server.getLocalPort());
            Future<UpstreamLease> lease = loop.submit(() -> connector.acquire(loop, address, null, true, IGNORE, METER)).get().await();
            assertThat(lease.isSuccess()).isFalse();
            await().atMost(Duration.ofSeconds(5)).until(() -> loop.submit(connector::poolCount).get() == 0);
        }
    }
}
