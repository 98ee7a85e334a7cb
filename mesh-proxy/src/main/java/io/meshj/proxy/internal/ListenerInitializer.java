package io.meshj.proxy.internal;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.detect.ProtocolDetectionHandler;
import io.meshj.metrics.TlsStatus;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.internal.http.HttpServerPipelines;
import io.meshj.proxy.internal.tcp.TcpForwarder;
import io.meshj.proxy.internal.tcp.TcpFrames;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.tls.TlsDetectionHandler;
import io.meshj.proxy.internal.tls.TransportHeader;
import io.meshj.proxy.internal.transport.OriginalDestination;
import io.meshj.proxy.internal.detect.Protocol;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.Function;

/**
 * Sets up each accepted connection of a listener: counted, tracked for shutdown, its original
 * destination read (when iptables redirected it here), then either forwarded as opaque TCP straight
 * away (its destination port is opaque) or handed to protocol detection.
 *
 * <p>Where an opaque connection goes, in order: the listener's {@code tcpAuthority} (outbound,
 * {@code --outbound-tcp-target}, an explicit override), the original destination, else the router's
 * default (inbound: the first application port; outbound: nowhere, and the connection is closed).
 */
public final class ListenerInitializer extends ChannelInitializer<Channel> {

    private static final System.Logger LOG = System.getLogger(ListenerInitializer.class.getName());

    /** The answer to a client that stalled in its first request line: plain bytes, no codec is installed yet. */
    private static final byte[] REQUEST_TIMEOUT_408 = ("HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n"
            + "content-length: 0\r\nmeshj-proxy-error: " + ProxyError.REQUEST_HEAD_TIMEOUT.reason() + "\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final ProxyContext context;
    private final ChannelGroup connections;
    private final boolean opaqueListener;
    private final Authority tcpAuthority;
    private final ProxyTls tls;
    private final Function<Channel, Optional<InetSocketAddress>> originalDestinations;

    /**
     * @param opaque forward every connection that was not redirected as TCP without detection (a
     *     redirected one is opaque when its original destination port is one of the opaque ports)
     * @param tcpAuthority what opaque connections are routed by (null: their original destination, else
     *     the router's default)
     * @param tls when not null, connections that open with a TLS ClientHello are mTLS (inbound)
     */
    public ListenerInitializer(ProxyContext context, ChannelGroup connections, boolean opaque, Authority tcpAuthority,
            ProxyTls tls) {
        this(context, connections, opaque, tcpAuthority, tls, OriginalDestination::read);
    }

    /** As above, with original destinations read by {@code originalDestinations} (tests fake the system call). */
    ListenerInitializer(ProxyContext context, ChannelGroup connections, boolean opaque, Authority tcpAuthority,
            ProxyTls tls, Function<Channel, Optional<InetSocketAddress>> originalDestinations) {
        this.originalDestinations = originalDestinations;
        this.context = context;
        this.connections = connections;
        this.opaqueListener = opaque;
        this.tcpAuthority = tcpAuthority;
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel ch) {
        ProxyLifecycle lifecycle = context.lifecycle();
        if (!lifecycle.tryAcceptConnection()) {
            // Refused before anything is allocated for it: what an idle-connection flood gets once the
            // proxy holds as many as its heap is sized for, and everyone while the heap is too full.
            ProxyError why = lifecycle.isOverloaded() ? ProxyError.OVERLOADED : ProxyError.CONNECTION_LIMIT;
            context.reportError(why, null, lifecycle.connections() + " client connections open, at most "
                    + lifecycle.maxConnections() + (why == ProxyError.OVERLOADED ? "; the heap is too full" : ""));
            ch.config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0); // RST: no TIME_WAIT left here
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> lifecycle.connectionClosed());
        connections.add(ch);
        Authority original = readOriginalDestination(ch);
        boolean opaque = original != null ? context.config().opaquePorts().contains(original.port()) : opaqueListener;
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
                            TcpForwarder.forwardSilent(ch, context, tcpAuthority); // silence already meant "opaque"
                        } else {
                            proceed(ch, after.name(), opaque);
                        }
                    }));
        } else {
            TcpMeter.install(ch, context.metrics().tcp().accepted(context.direction().label(),
                    context.direction() == Direction.OUTBOUND ? TlsStatus.LOOPBACK : TlsStatus.NO_TLS_FROM_REMOTE));
            proceed(ch, null, opaque);
        }
    }

    /**
     * Reads and stores (as {@link OriginalDestination#KEY}) where {@code ch} was headed before iptables
     * redirected it here; null when it was not redirected, or was headed for this proxy itself (one of
     * its listeners: following the address would loop back here).
     */
    private Authority readOriginalDestination(Channel ch) {
        InetSocketAddress address = originalDestinations.apply(ch).orElse(null);
        if (address == null) {
            return null;
        }
        if (context.lifecycle().isSelf(address)) {
            LOG.log(System.Logger.Level.DEBUG, () -> "original destination of " + describe(ch.remoteAddress()) + ": "
                    + describe(address) + ", this proxy's own listener: ignored (" + context.direction().label() + ")");
            return null;
        }
        Authority original = Authority.of(address.getAddress(), address.getPort());
        ch.attr(OriginalDestination.KEY).set(original);
        LOG.log(System.Logger.Level.DEBUG, () -> "original destination of " + describe(ch.remoteAddress()) + ": "
                + original + " (" + context.direction().label() + ")");
        return original;
    }

    private static String describe(java.net.SocketAddress address) {
        return address instanceof InetSocketAddress a && a.getAddress() != null
                ? Authority.of(a.getAddress(), a.getPort()).toString() : String.valueOf(address);
    }

    /**
     * What follows TLS detection: on an mTLS connection, first a check for a transport header (opaque
     * TCP from a peer proxy, naming its endpoint); then protocol detection, or opaque forwarding.
     */
    private void proceed(Channel ch, String after, boolean opaque) {
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
                                context.countError(ProxyError.NO_APP_PORT);
                                ch.close();
                                return;
                            }
                            TcpFrames.install(ch.pipeline(), ctx.name());
                            TcpForwarder.forward(ch, context, endpoint);
                        }

                        @Override
                        public void noHeader(io.netty.channel.ChannelHandlerContext ctx) {
                            detectOrForward(ch, ctx.name(), opaque);
                        }
                    }));
            return;
        }
        detectOrForward(ch, after, opaque);
    }

    /** Protocol detection (or opaque forwarding) after {@code after}, or first when it is null. */
    private void detectOrForward(Channel ch, String after, boolean opaque) {
        if (opaque) {
            TcpForwarder.forward(ch, context, tcpAuthority);
            return;
        }
        ProtocolDetectionHandler detect = new ProtocolDetectionHandler(context.config().detectTimeout(),
                new ProtocolDetectionHandler.Listener() {
                    @Override
                    public void detected(ChannelHandlerContext ctx, Protocol protocol) {
                        switch (protocol) {
                            case HTTP1 -> HttpServerPipelines.http1(ctx.pipeline(), context);
                            case HTTP2 -> HttpServerPipelines.http2(ctx.pipeline(), context);
                            case OPAQUE -> TcpForwarder.forward(ctx.channel(), context, tcpAuthority);
                            default -> throw new AssertionError(protocol);
                        }
                    }

                    @Override
                    public void silent(ChannelHandlerContext ctx) {
                        TcpForwarder.forwardSilent(ctx.channel(), context, tcpAuthority);
                    }

                    @Override
                    public void stalled(ChannelHandlerContext ctx) {
                        // The start of a request line (or of the HTTP/2 preface), then nothing for the
                        // detection timeout: a slow or slowloris client, whose bytes the application
                        // must not get as "opaque TCP" to hold its connections with.
                        context.countError(ProxyError.REQUEST_HEAD_TIMEOUT);
                        ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT_408))
                                .addListener(ChannelFutureListener.CLOSE);
                    }
                });
        if (after == null) {
            ch.pipeline().addFirst("detect", detect);
        } else {
            ch.pipeline().addAfter(after, "detect", detect);
        }
    }
}
