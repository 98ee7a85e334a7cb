package io.meshj.proxy.internal.tcp;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.internal.route.RouteException;
import io.meshj.proxy.internal.route.Target;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.tls.TransportHeader;
import io.meshj.proxy.internal.transport.OriginalDestination;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Forwards an opaque connection: routes it, connects upstream on the same event loop, and splices the
 * two with a {@link TcpRelay}. Bytes that arrived before the upstream was ready (what detection peeked,
 * at most one read more — reading is off meanwhile) are held and sent first.
 */
public final class TcpForwarder {

    private static final String BUFFER = "tcp-buffer";
    private static final System.Logger LOG = System.getLogger(TcpForwarder.class.getName());

    private TcpForwarder() {
    }

    /**
     * Takes over {@code downstream}, whose protocol turned out opaque (or whose port is), forwarding it
     * to where {@code context}'s router sends {@code authority} (null: the router's default, or the
     * connection's original destination when it was redirected).
     */
    public static void forward(Channel downstream, ProxyContext context, Authority authority) {
        forward(downstream, context, authority, context.config().tcpIdleTimeout());
    }

    /**
     * As {@link #forward(Channel, ProxyContext, Authority)}, for a connection that said nothing through
     * detection: perhaps a server-speaks-first protocol, perhaps a client that opened a connection and
     * went away. It gets the HTTP idle timeout rather than opaque TCP's long one, so that silence on
     * both sides does not hold a connection to the application for an hour.
     */
    public static void forwardSilent(Channel downstream, ProxyContext context, Authority authority) {
        Duration tcp = context.config().tcpIdleTimeout();
        Duration http = context.config().idleTimeout();
        forward(downstream, context, authority, tcp.isZero() || http.compareTo(tcp) < 0 ? http : tcp);
    }

    private static void forward(Channel downstream, ProxyContext context, Authority authority, Duration idleTimeout) {
        downstream.config().setAutoRead(false);
        Buffer buffer = new Buffer();
        downstream.pipeline().addLast(BUFFER, buffer);
        Authority original = OriginalDestination.get(downstream);
        context.router().route(authority, null, original, downstream.eventLoop()).addListener((Future<Target> f) -> {
            if (!f.isSuccess()) {
                ProxyError error = f.cause() instanceof RouteException re ? re.error() : ProxyError.CONNECT_FAILED;
                context.countError(error);
                downstream.close();
                return;
            }
            Target target = f.getNow();
            if (context.isInbound() && context.config().requireIdentityPorts().contains(target.address().port())
                    && ProxyTls.peerIdentity(downstream).isEmpty()) {
                // Plaintext to a port that takes only meshed peers: no bytes reach the application.
                context.countError(ProxyError.IDENTITY_REQUIRED);
                target.onCancel();
                downstream.close();
                return;
            }
            long start = context.ticker().nanoTime();
            context.upstreams().connectTcp(downstream.eventLoop(), target.address(), target.identity(),
                    context.connectionMeter(target))
                    .addListener((Future<Channel> cf) -> {
                if (!cf.isSuccess()) {
                    LOG.log(System.Logger.Level.DEBUG, () -> context.direction() + " TCP to " + target.address()
                            + " failed: " + cf.cause());
                    target.onFailure(context.ticker().nanoTime() - start);
                    context.countError(ProxyError.CONNECT_FAILED);
                    downstream.close();
                    return;
                }
                target.onSuccess(context.ticker().nanoTime() - start);
                Channel upstream = cf.getNow();
                if (context.lifecycle().isSelf(upstream.remoteAddress())) {
                    context.countError(ProxyError.LOOP_DETECTED);
                    upstream.close();
                    downstream.close();
                    return;
                }
                if (!downstream.isActive()) {
                    upstream.close();
                    return;
                }
                downstream.closeFuture().addListener(x -> upstream.close());
                if (target.viaProxy() && upstream.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null) {
                    // Tell the peer proxy which of its endpoints this connection is for.
                    upstream.writeAndFlush(TransportHeader.encode(upstream.alloc(), target.endpoint()));
                    TcpFrames.install(upstream.pipeline(), upstream.pipeline().context(io.netty.handler.ssl.SslHandler.class).name());
                }
                TcpRelay.splice(downstream, upstream, idleTimeout);
                // Removing the buffer replays what it held into the relay just installed behind it.
                downstream.pipeline().remove(BUFFER);
            });
        });
    }

    /** Holds bytes until the relay exists; replays them on removal. */
    private static final class Buffer extends ChannelInboundHandlerAdapter {
        private final ArrayDeque<Object> held = new ArrayDeque<>();
        private boolean inputShutdown;
        private Object shutdownEvent;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            held.add(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
                inputShutdown = true;
                shutdownEvent = evt;
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            Object msg;
            while ((msg = held.poll()) != null) {
                if (ctx.channel().isActive()) {
                    ctx.fireChannelRead(msg);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            ctx.fireChannelReadComplete();
            if (inputShutdown) {
                ctx.fireUserEventTriggered(shutdownEvent);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Object msg;
            while ((msg = held.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
