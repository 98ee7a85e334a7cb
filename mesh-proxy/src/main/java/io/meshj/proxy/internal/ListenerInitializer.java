package io.meshj.proxy.internal;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.detect.ProtocolDetectionHandler;
import io.meshj.proxy.internal.http.HttpServerPipelines;
import io.meshj.proxy.internal.http.ProxyContext;
import io.meshj.metrics.TlsStatus;
import io.meshj.proxy.internal.http.Direction;
import io.meshj.proxy.internal.tcp.TcpForwarder;
import io.meshj.proxy.internal.tcp.TcpFrames;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.tls.TlsDetectionHandler;
import io.meshj.proxy.internal.tls.TransportHeader;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;

/**
 * Sets up each accepted connection of a listener: counted, tracked for shutdown, then either forwarded
 * as opaque TCP straight away (its destination port is opaque) or handed to protocol detection.
 */
public final class ListenerInitializer extends ChannelInitializer<Channel> {

    private static final System.Logger LOG = System.getLogger(ListenerInitializer.class.getName());

    private final ProxyContext context;
    private final ChannelGroup connections;
    private final boolean opaque;
    private final Authority tcpAuthority;
    private final ProxyTls tls;

    /**
     * @param opaque forward every connection as TCP without detection
     * @param tcpAuthority what opaque connections are routed by (null: the router's default)
     * @param tls when not null, connections that open with a TLS ClientHello are mTLS (inbound)
     */
    public ListenerInitializer(ProxyContext context, ChannelGroup connections, boolean opaque, Authority tcpAuthority,
            ProxyTls tls) {
        this.context = context;
        this.connections = connections;
        this.opaque = opaque;
        this.tcpAuthority = tcpAuthority;
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel ch) {
        connections.add(ch);
        // Catches what goes wrong before a protocol's own handlers take over (those handle their own).
        ch.pipeline().addLast("errors", QuietCloseHandler.INSTANCE);
        if (tls != null) {
            // TLS first; what follows sees plaintext, and starts once the handshake is done. The
            // connection is counted once its TLS status is known.
            ch.pipeline().addFirst("tls-detect", new TlsDetectionHandler(tls, context.config().detectTimeout(),
                    (after, silent) -> {
                        TcpMeter.install(ch, context.metrics().tcp().accepted(context.direction().label(),
                                ProxyTls.peerIdentity(ch).map(id -> TlsStatus.fromClient(id.dnsName()))
                                        .orElse(TlsStatus.NO_TLS_FROM_REMOTE)));
                        if (silent) {
                            TcpForwarder.forward(ch, context, tcpAuthority); // silence already meant "opaque"
                        } else {
                            proceed(ch, after.name());
                        }
                    }));
        } else {
            TcpMeter.install(ch, context.metrics().tcp().accepted(context.direction().label(),
                    context.direction() == Direction.OUTBOUND ? TlsStatus.LOOPBACK : TlsStatus.NO_TLS_FROM_REMOTE));
            proceed(ch, null);
        }
    }

    /**
     * What follows TLS detection: on an mTLS connection, first a check for a transport header (opaque
     * TCP from a peer proxy, naming its endpoint); then protocol detection, or opaque forwarding.
     */
    private void proceed(Channel ch, String after) {
        if (after != null && ProxyTls.peerIdentity(ch).isPresent()) {
            ch.pipeline().addAfter(after, "transport-header", new TransportHeader.Decoder(context.config().detectTimeout(),
                    new TransportHeader.Listener() {
                        @Override
                        public void header(io.netty.channel.ChannelHandlerContext ctx, Authority endpoint) {
                            if (!context.config().appPorts().contains(endpoint.port())) {
                                // Splicing it to another port would hand one protocol's bytes to another server.
                                LOG.log(System.Logger.Level.WARNING, "{0} asked for {1}, which is not an application"
                                        + " port {2}: closing", ProxyTls.peerIdentity(ch).orElse(null), endpoint,
                                        context.config().appPorts());
                                context.metrics().error(context.direction(), io.meshj.proxy.internal.http.ProxyError.NO_APP_PORT);
                                ch.close();
                                return;
                            }
                            TcpFrames.install(ch.pipeline(), ctx.name());
                            TcpForwarder.forward(ch, context, endpoint);
                        }

                        @Override
                        public void noHeader(io.netty.channel.ChannelHandlerContext ctx) {
                            detectOrForward(ch, ctx.name());
                        }
                    }));
            return;
        }
        detectOrForward(ch, after);
    }

    /** Protocol detection (or opaque forwarding) after {@code after}, or first when it is null. */
    private void detectOrForward(Channel ch, String after) {
        if (opaque) {
            TcpForwarder.forward(ch, context, tcpAuthority);
            return;
        }
        ProtocolDetectionHandler detect = new ProtocolDetectionHandler(context.config().detectTimeout(), (ctx, protocol) -> {
            switch (protocol) {
                case HTTP1 -> HttpServerPipelines.http1(ctx.pipeline(), context);
                case HTTP2 -> HttpServerPipelines.http2(ctx.pipeline(), context);
                case OPAQUE -> TcpForwarder.forward(ctx.channel(), context, tcpAuthority);
                default -> throw new AssertionError(protocol);
            }
        });
        if (after == null) {
            ch.pipeline().addFirst("detect", detect);
        } else {
            ch.pipeline().addAfter(after, "detect", detect);
        }
    }
}
