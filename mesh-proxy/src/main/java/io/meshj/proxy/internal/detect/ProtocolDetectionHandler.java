package io.meshj.proxy.internal.detect;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.util.List;

/**
 * The first handler of every accepted connection on a port that is not opaque: it accumulates the
 * first bytes, asks {@link ProtocolDetector} what they are, lets a {@link Listener} install the
 * pipeline for that protocol after itself, and then removes itself — which hands every byte it held,
 * unconsumed, to that pipeline. A connection that says nothing for the detection timeout is opaque
 * (a server-speaks-first protocol on a port nobody marked opaque stalls only this long): the listener
 * hears it is {@link Listener#silent silent}. One that sent part of an HTTP request line or of the
 * HTTP/2 preface and then nothing more for the timeout is a stalled (or slowloris) client, not an
 * opaque protocol: the listener hears it {@link Listener#stalled stalled}.
 */
public final class ProtocolDetectionHandler extends FirstBytesDecoder {

    /** Installs the handlers for the detected protocol; runs on the channel's event loop. */
    @FunctionalInterface
    public interface Listener {
        void detected(ChannelHandlerContext ctx, Protocol protocol);

        /** Nothing arrived within the timeout. By default the connection is opaque. */
        default void silent(ChannelHandlerContext ctx) {
            detected(ctx, Protocol.OPAQUE);
        }

        /**
         * The start of an HTTP request arrived, and not enough to tell within the timeout. By default
         * the connection closes; what the handler held is released with it.
         */
        default void stalled(ChannelHandlerContext ctx) {
            ctx.close();
        }
    }

    private final Listener listener;

    public ProtocolDetectionHandler(Duration timeout, Listener listener) {
        super(timeout);
        this.listener = listener;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        Protocol protocol = ProtocolDetector.detect(in);
        if (protocol != null) {
            decide(ctx, () -> listener.detected(ctx, protocol));
        }
    }

    @Override
    protected void timedOut(ChannelHandlerContext ctx) {
        if (internalBuffer().isReadable()) {
            listener.stalled(ctx);
            return;
        }
        decide(ctx, () -> listener.silent(ctx));
    }
}
