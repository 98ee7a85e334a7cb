package io.meshj.proxy.internal.detect;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of every accepted connection on a port that is not opaque: it accumulates the
 * first bytes, asks {@link ProtocolDetector} what they are, lets a {@link Listener} install the
 * pipeline for that protocol after itself, and then removes itself — which hands every byte it held,
 * unconsumed, to that pipeline. A connection that says nothing for the detection timeout is opaque
 * (a server-speaks-first protocol on a port nobody marked opaque stalls only this long).
 */
public final class ProtocolDetectionHandler extends ByteToMessageDecoder {

    /** Installs the handlers for the detected protocol; runs on the channel's event loop. */
    @FunctionalInterface
    public interface Listener {
        void detected(ChannelHandlerContext ctx, Protocol protocol);
    }

    private final Duration timeout;
    private final Listener listener;
    private ScheduledFuture<?> timer;
    private boolean decided;

    public ProtocolDetectionHandler(Duration timeout, Listener listener) {
        this.timeout = timeout;
        this.listener = listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        timer = ctx.executor().schedule(() -> decide(ctx, Protocol.OPAQUE), timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        Protocol protocol = ProtocolDetector.detect(in);
        if (protocol != null) {
            decide(ctx, protocol);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        cancelTimer();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimer();
        super.channelInactive(ctx);
    }

    private void decide(ChannelHandlerContext ctx, Protocol protocol) {
        if (decided || ctx.isRemoved()) {
            return;
        }
        decided = true;
        cancelTimer();
        listener.detected(ctx, protocol);
        // Removing a ByteToMessageDecoder passes the bytes it accumulated to the next handler.
        ctx.pipeline().remove(this);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
