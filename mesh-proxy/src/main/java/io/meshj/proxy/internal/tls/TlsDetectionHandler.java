package io.meshj.proxy.internal.tls;

import io.meshj.proxy.internal.detect.FirstBytesDecoder;
import io.meshj.tls.MeshTls;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.time.Duration;
import java.util.List;

/**
 * The first handler of an inbound connection when the proxy has an identity: a TLS record header
 * (a ClientHello from a meshed peer) makes it an mTLS connection — the handler puts an
 * {@link SslHandler} in its place, and the peer's verified identity is recorded on the channel once
 * the handshake is done; anything else is plaintext from an unmeshed client. Either way the
 * {@link Continuation} then installs what follows (protocol detection or TCP forwarding), and it sees
 * only plaintext.
 *
 * <p>The first byte decides plaintext at once unless it is 22 (the TLS handshake record type); a
 * connection that says nothing within the timeout is plaintext too (a server-speaks-first client).
 */
public final class TlsDetectionHandler extends FirstBytesDecoder {

    private static final System.Logger LOG = System.getLogger(TlsDetectionHandler.class.getName());

    /** The TLS record content type of a handshake message. */
    private static final short HANDSHAKE = 22;
    /** A TLS record header: type, version, length. */
    private static final int RECORD_HEADER = 5;

    /** Installs the connection's next handlers after {@code after}; runs on the event loop. */
    @FunctionalInterface
    public interface Continuation {
        /**
         * @param silent the client has said nothing for the whole detection timeout (a server-speaks-first
         *     protocol): waiting for it again, to detect a protocol, would only double the stall
         */
        void proceed(ChannelHandlerContext after, boolean silent);
    }

    private final ProxyTls tls;
    private final Continuation next;

    public TlsDetectionHandler(ProxyTls tls, Duration timeout, Continuation next) {
        super(timeout);
        this.tls = tls;
        this.next = next;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (decided() || !in.isReadable()) {
            return;
        }
        if (in.getUnsignedByte(in.readerIndex()) != HANDSHAKE) {
            plaintext(ctx);
        } else if (in.readableBytes() >= RECORD_HEADER) {
            if (SslHandler.isEncrypted(in, false)) {
                // The SslHandler takes this handler's place (and the ClientHello); what follows is
                // installed once the handshake is done, by the listener after it.
                decide(ctx, () -> {
                    ctx.pipeline().addAfter(ctx.name(), "tls-identity", new HandshakeListener(next));
                    ctx.pipeline().replace(this, "tls", tls.serverContext().newHandler(ctx.alloc()));
                });
            } else {
                plaintext(ctx);
            }
        }
    }

    @Override
    protected void timedOut(ChannelHandlerContext ctx) {
        if (internalBuffer().isReadable()) {
            // Part of a TLS record header, and nothing more for the whole timeout: a stalled handshake.
            LOG.log(System.Logger.Level.DEBUG, "inbound TLS from {0} stalled before its first record: closing",
                    ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        decide(ctx, () -> next.proceed(ctx, true));
    }

    private void plaintext(ChannelHandlerContext ctx) {
        decide(ctx, () -> next.proceed(ctx, false));
    }

    /** Records the peer's identity when the handshake completes, then lets the connection proceed. */
    private static final class HandshakeListener extends ChannelInboundHandlerAdapter {
        private final Continuation next;

        HandshakeListener(Continuation next) {
            this.next = next;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                if (!done.isSuccess()) {
                    // The SslHandler closes the connection; a bad certificate is the peer's problem.
                    LOG.log(System.Logger.Level.DEBUG, "inbound TLS handshake from {0} failed: {1}",
                            ctx.channel().remoteAddress(), done.cause().toString());
                    return;
                }
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                MeshTls.peerIdentity(ssl.engine().getSession())
                        .ifPresent(id -> ctx.channel().attr(ProxyTls.PEER_IDENTITY).set(id));
                next.proceed(ctx, false);
                ctx.pipeline().remove(this);
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }
    }
}
