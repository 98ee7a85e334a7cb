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
 * (a server-speaks-first protocol on a port nobody marked opaque stalls only this long).
 */
public final class ProtocolDetectionHandler extends FirstBytesDecoder {

    /** Installs the handlers for the detected protocol; runs on the channel's event loop. */
    @FunctionalInterface
    public interface Listener {
        void detected(ChannelHandlerContext ctx, Protocol protocol);
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
        decide(ctx, () -> listener.detected(ctx, Protocol.OPAQUE));
    }
}
