package io.meshj.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.name.Authority;
import io.meshj.proxy.ProxyConfig;
import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.route.RouteException;
import io.meshj.proxy.internal.route.Router;
import io.meshj.proxy.internal.route.Target;
import io.meshj.proxy.internal.transport.OriginalDestination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a listener does with a connection's original destination, without sockets: the system call is
 * faked, and a recording router answers "no endpoints" so that each decision ends at routing.
 */
class ListenerInitializerTest {

    private static final InetSocketAddress REDIS = address("10.251.0.1", 6379);
    private static final InetSocketAddress WEB = address("10.251.0.1", 9000);

    private final List<Route> routed = new ArrayList<>();
    private final Router router = new Router() {
        @Override
        public Future<Target> route(Authority authority, Authority endpointHint, Authority originalDestination, EventLoop loop) {
            routed.add(new Route(authority, originalDestination));
            return loop.newFailedFuture(new RouteException(ProxyError.NO_ENDPOINTS, "test"));
        }
    };
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final ProxyContext context = ProxyContext.builder(Direction.OUTBOUND).router(router)
            .config(ProxyConfig.builder().build()).metrics(metrics).build();
    private final DefaultChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private EmbeddedChannel channel;

    private record Route(Authority authority, Authority originalDestination) {
    }

    private static InetSocketAddress address(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private EmbeddedChannel accept(Authority tcpAuthority, InetSocketAddress original) {
        channel = new EmbeddedChannel(new ListenerInitializer(context, connections, false, tcpAuthority, null,
                ch -> Optional.ofNullable(original)));
        return channel;
    }

    @AfterEach
    void release() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aRedirectedConnectionToAnOpaquePortGoesToItsOriginalDestinationWithoutWaitingForBytes() {
        EmbeddedChannel ch = accept(null, REDIS);

        assertThat(OriginalDestination.get(ch)).isEqualTo(Authority.parse("10.251.0.1:6379"));
        assertThat(routed).containsExactly(new Route(null, Authority.parse("10.251.0.1:6379")));
        assertThat(ch.isOpen()).as("closed once routing failed").isFalse();
        assertThat(metrics.errors(Direction.OUTBOUND, ProxyError.NO_ENDPOINTS)).isOne();
    }

    @Test
    void theOutboundTcpTargetOverridesTheOriginalDestination() {
        accept(Authority.parse("redis.default:6379"), REDIS);

        assertThat(routed).containsExactly(new Route(Authority.parse("redis.default:6379"), Authority.parse("10.251.0.1:6379")));
    }

    @Test
    void httpOnARedirectedConnectionRoutesByItsAuthorityWithTheOriginalDestinationAlongside() {
        EmbeddedChannel ch = accept(null, WEB);
        assertThat(routed).as("a port that is not opaque waits for detection").isEmpty();

        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: unknown.example\r\n\r\n", StandardCharsets.US_ASCII));

        assertThat(routed).containsExactly(new Route(Authority.parse("unknown.example"), Authority.parse("10.251.0.1:9000")));
        assertThat(response(ch)).startsWith("HTTP/1.1 503");
    }

    @Test
    void httpWithoutAHostOnARedirectedConnectionGoesToTheOriginalDestination() {
        EmbeddedChannel ch = accept(null, WEB);

        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.0\r\n\r\n", StandardCharsets.US_ASCII));

        assertThat(routed).containsExactly(new Route(null, Authority.parse("10.251.0.1:9000")));
        assertThat(response(ch)).contains(" 503 ");
    }

    @Test
    void aConnectionHeadedForTheProxyItselfHasNoOriginalDestination() {
        context.lifecycle().setListeners(List.of(REDIS));

        EmbeddedChannel ch = accept(null, REDIS);

        assertThat(OriginalDestination.get(ch)).isNull();
        assertThat(routed).as("not opaque any more: it waits for detection").isEmpty();
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aConnectionThatWasNotRedirectedWaitsForDetectionAsBefore() {
        EmbeddedChannel ch = accept(null, null);

        assertThat(OriginalDestination.get(ch)).isNull();
        assertThat(routed).isEmpty();

        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: web\r\n\r\n", StandardCharsets.US_ASCII));

        assertThat(routed).containsExactly(new Route(Authority.parse("web"), null));
        assertThat(response(ch)).startsWith("HTTP/1.1 503");
    }

    /** What the proxy wrote back, released. */
    private static String response(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            if (msg instanceof ByteBuf b) {
                out.append(b.toString(StandardCharsets.US_ASCII));
            }
            ReferenceCountUtil.release(msg);
        }
        return out.toString();
    }
}
