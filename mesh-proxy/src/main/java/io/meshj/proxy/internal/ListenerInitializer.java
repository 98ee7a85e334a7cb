package io.meshj.proxy.internal;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.detect.ProtocolDetectionHandler;
import io.meshj.proxy.internal.http.HttpServerPipelines;
import io.meshj.proxy.internal.http.ProxyContext;
import io.meshj.proxy.internal.tcp.TcpForwarder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;

/**
 * Sets up each accepted connection of a listener: counted, tracked for shutdown, then either forwarded
 * as opaque TCP straight away (its destination port is opaque) or handed to protocol detection.
 */
public final class ListenerInitializer extends ChannelInitializer<Channel> {

    private final ProxyContext context;
    private final ChannelGroup connections;
    private final boolean opaque;
    private final Authority tcpAuthority;

    /**
     * @param opaque forward every connection as TCP without detection
     * @param tcpAuthority what opaque connections are routed by (null: the router's default)
     */
    public ListenerInitializer(ProxyContext context, ChannelGroup connections, boolean opaque, Authority tcpAuthority) {
        this.context = context;
        this.connections = connections;
        this.opaque = opaque;
        this.tcpAuthority = tcpAuthority;
    }

    @Override
    protected void initChannel(Channel ch) {
        context.metrics().tcpOpen(context.direction());
        ch.closeFuture().addListener(f -> context.metrics().tcpClose(context.direction()));
        connections.add(ch);
        // Catches what goes wrong before a protocol's own handlers take over (those handle their own).
        ch.pipeline().addLast("errors", QuietCloseHandler.INSTANCE);
        if (opaque) {
            TcpForwarder.forward(ch, context, tcpAuthority);
            return;
        }
        ch.pipeline().addFirst("detect", new ProtocolDetectionHandler(context.config().detectTimeout(), (ctx, protocol) -> {
            switch (protocol) {
                case HTTP1 -> HttpServerPipelines.http1(ctx.pipeline(), context);
                case HTTP2 -> HttpServerPipelines.http2(ctx.pipeline(), context);
                case OPAQUE -> TcpForwarder.forward(ctx.channel(), context, tcpAuthority);
                default -> throw new AssertionError(protocol);
            }
        }));
    }
}
