package io.meshj.proxy.internal.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Limits how long an HTTP/1 client may take to send a request head once it has started one — the
 * slowloris defence. The clock starts at the first byte of a request and stops when the codec has
 * decoded its head; a client that stalls half-way gets 408 and the connection is closed. An idle
 * keep-alive connection (no bytes at all) is not timed here.
 *
 * <p>Sits before the HTTP codec, so it sees raw bytes; its 408 is written from the tail of the
 * pipeline so the codec encodes it.
 */
final class RequestHeadTimeoutHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "head-timeout";

    private final Duration timeout;
    private final ProxyContext context;
    private boolean awaitingHead = true;
    private ScheduledFuture<?> timer;

    RequestHeadTimeoutHandler(Duration timeout, ProxyContext context) {
        this.timeout = timeout;
        this.context = context;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && timer == null && msg instanceof ByteBuf buf && buf.isReadable()) {
            timer = ctx.executor().schedule(() -> expire(ctx), timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    /** The codec produced the request head: stop the clock. */
    void headReceived() {
        awaitingHead = false;
        cancel();
    }

    /** The previous exchange ended on a keep-alive connection: the next request's clock starts at its first byte. */
    void awaitNextHead() {
        awaitingHead = true;
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

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        if (!awaitingHead || !ctx.channel().isActive()) {
            return;
        }
        context.metrics().error(context.direction(), ProxyError.REQUEST_HEAD_TIMEOUT);
        ctx.channel().writeAndFlush(ProxyErrorResponses.of(ProxyError.REQUEST_HEAD_TIMEOUT,
                        "no complete request head within " + timeout.toMillis() + " ms", false, ctx.alloc()))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
