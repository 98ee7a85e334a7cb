package io.meshj.proxy.internal.upstream;

import io.meshj.core.name.Authority;
import io.meshj.metrics.TcpMetrics;
import io.meshj.proxy.internal.TcpMeter;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Leases upstreams for requests: HTTP/1 connections from a keep-alive pool ({@link Http1Upstreams}), or
 * streams on shared HTTP/2 connections ({@link Http2Upstreams}), opened on demand; and opens opaque TCP
 * connections.
 *
 * <p>Pools are per event loop and per address, and connections are made on the requesting channel's
 * event loop, so a request and its upstream never cross threads. Everything here runs on that loop;
 * nothing blocks (names are resolved by the non-blocking DNS resolver given to the constructor).
 */
public final class UpstreamConnector implements Upstreams {

    private final Dialer dialer;
    private final Http1Upstreams http1;
    private final Http2Upstreams http2;

    public UpstreamConnector(Transport transport, AddressResolverGroup<? extends SocketAddress> resolver,
            Duration connectTimeout, int maxHeaderBytes, ChannelGroup allChannels, ProxyTls tls) {
        this.dialer = new Dialer(transport, resolver, connectTimeout, tls, allChannels);
        this.http1 = new Http1Upstreams(dialer, maxHeaderBytes);
        this.http2 = new Http2Upstreams(dialer, maxHeaderBytes);
    }

    @Override
    public Future<UpstreamLease> acquire(EventLoop loop, Authority address, String identity, boolean http2,
            UpstreamListener listener, Supplier<TcpMetrics.Connection> meter) {
        Dialer.PoolKey key = new Dialer.PoolKey(loop, address, dialer.identityToCheck(identity));
        return http2 ? this.http2.acquire(key, listener, meter) : http1.acquire(key, listener, meter);
    }

    /** Pools (HTTP/1) and connection lists (HTTP/2) held now, by (event loop, address): for tests. */
    int poolCount() {
        return http1.poolCount() + http2.listCount();
    }

    @Override
    public Future<Channel> connectTcp(EventLoop loop, Authority address, String identity,
            Supplier<TcpMetrics.Connection> meter) {
        String id = dialer.identityToCheck(identity);
        Bootstrap b = dialer.bootstrap(loop)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, id != null) // a handshake needs reads; plain TCP waits for the relay
                .handler(id == null ? new ChannelInboundHandlerAdapter() : new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        dialer.addTls(ch, id, address);
                    }
                });
        Promise<Channel> promise = loop.newPromise();
        b.connect(Dialer.socketAddress(address)).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
            }
            TcpMeter.install(f.channel(), meter.get());
            if (id == null) {
                promise.trySuccess(f.channel());
                return;
            }
            Dialer.whenSecured(f.channel(), id).addListener((Future<Channel> secured) -> {
                if (secured.isSuccess()) {
                    // The handshake needed reads; the relay decides about reading from now on.
                    f.channel().config().setAutoRead(false);
                    promise.trySuccess(f.channel());
                } else {
                    promise.tryFailure(secured.cause());
                }
            });
        });
        return promise;
    }
}
