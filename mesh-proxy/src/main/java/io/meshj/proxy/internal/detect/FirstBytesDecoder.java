package io.meshj.proxy.internal.detect;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The skeleton of every "look at the first bytes, then get out of the way" handler of an accepted
 * connection (protocol detection, TLS detection, the transport header): it accumulates bytes until the
 * subclass {@link #decide decides}, lets the decision install what follows, then removes itself — and
 * removing a {@link ByteToMessageDecoder} hands every byte it held, unconsumed, to those handlers. A
 * connection that says nothing decisive within the timeout gets {@link #timedOut}.
 */
public abstract class FirstBytesDecoder extends ByteToMessageDecoder {

    private final Duration timeout;
    private ScheduledFuture<?> timer;
    private boolean decided;

    protected FirstBytesDecoder(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        timer = ctx.executor().schedule(() -> {
            if (!decided && !ctx.isRemoved()) {
                timedOut(ctx);
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Nothing decisive came within the timeout; the subclass decides by default. */
    protected abstract void timedOut(ChannelHandlerContext ctx);

    /** True once {@link #decide} ran: later bytes are not this handler's business. */
    protected final boolean decided() {
        return decided;
    }

    /**
     * Ends detection, once: {@code install} sets up what follows (after this handler, or in its place
     * by replacing it), then this handler is removed if it still is in the pipeline.
     */
    protected final void decide(ChannelHandlerContext ctx, Runnable install) {
        if (decided || ctx.isRemoved()) {
            return;
        }
        decided = true;
        cancelTimer();
        install.run();
        if (!ctx.isRemoved()) {
            ctx.pipeline().remove(this);
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

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
