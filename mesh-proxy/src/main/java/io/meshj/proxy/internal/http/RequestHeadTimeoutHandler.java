package io.meshj.proxy.internal.http;

import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.internal.call.ProxyErrorResponses;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The clocks of an HTTP/1 client connection between requests — the slowloris defence and the
 * keep-alive idle timeout.
 *
 * <ul>
 *   <li>Once the first byte of a request head arrives, the whole head must follow within the header
 *       read timeout, or the client gets 408 and the connection closes.</li>
 *   <li>A keep-alive connection with no request in flight closes (silently) after the idle timeout.
 *       This also bounds a pipelined head that arrived, incomplete, in the same read as the previous
 *       request: the codec holds those bytes where this handler cannot see them, so they are only
 *       known to be possible, not present.</li>
 * </ul>
 *
 * <p>Sits before the HTTP codec, so it sees raw bytes; its 408 is written from the tail of the
 * pipeline so the codec encodes it.
 */
final class RequestHeadTimeoutHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "head-timeout";

    private final Duration headTimeout;
    private final Duration idleTimeout;
    private final ProxyContext context;
    private ChannelHandlerContext ctx;
    private boolean awaitingHead = true;
    private boolean inRead;
    /** Raw bytes arrived in a read after the one that completed the last head. */
    private boolean bytesSinceHead;
    private ScheduledFuture<?> timer;
    private boolean timingHead;

    RequestHeadTimeoutHandler(Duration headTimeout, Duration idleTimeout, ProxyContext context) {
        this.headTimeout = headTimeout;
        this.idleTimeout = idleTimeout;
        this.context = context;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf && buf.isReadable()) {
            if (awaitingHead) {
                startHeadClock();
            } else {
                bytesSinceHead = true;
            }
        }
        inRead = true;
        try {
            ctx.fireChannelRead(msg);
        } finally {
            inRead = false;
        }
    }

    /** The codec produced a request head: stop the clocks. */
    void headReceived() {
        awaitingHead = false;
        // Bytes behind the head in this same read are invisible here; count them as possible.
        bytesSinceHead = false;
        cancel();
    }

    /**
     * The previous exchange ended on a keep-alive connection. If bytes arrived during it, they may be
     * the next head already sitting in the codec: its clock starts now (they may also have been the
     * previous body, in which case an idle client gets a 408 after the timeout, which HTTP allows).
     * Otherwise the idle clock runs until the next request's first byte.
     */
    void awaitNextHead() {
        awaitingHead = true;
        if (bytesSinceHead) {
            bytesSinceHead = false;
            startHeadClock();
        } else {
            cancel();
            timingHead = false;
            timer = ctx.executor().schedule(this::idle, idleTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void startHeadClock() {
        if (timer != null && timingHead) {
            return;
        }
        cancel();
        timingHead = true;
        timer = ctx.executor().schedule(this::headTimedOut, headTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void headTimedOut() {
        timer = null;
        if (!awaitingHead || !ctx.channel().isActive()) {
            return;
        }
        context.countError(ProxyError.REQUEST_HEAD_TIMEOUT);
        ctx.channel().writeAndFlush(ProxyErrorResponses.of(ProxyError.REQUEST_HEAD_TIMEOUT,
                        "no complete request head within " + headTimeout.toMillis() + " ms", false, ctx.alloc()))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private void idle() {
        timer = null;
        if (awaitingHead && !inRead) {
            ctx.channel().close();
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
