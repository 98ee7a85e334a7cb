package io.meshj.proxy.internal.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;

/** The downstream side of one HTTP/2 stream: its request becomes a {@link ProxyCall}. */
final class Http2StreamServerHandler extends ChannelInboundHandlerAdapter implements Downstream {

    /** How long, and how much of, an unwanted request body is read after an early answer. */
    private static final java.time.Duration DRAIN_TIME = java.time.Duration.ofSeconds(2);
    private static final long MAX_DRAIN_BYTES = 1024 * 1024;

    private final ProxyContext context;
    private Channel channel;
    private boolean draining;
    private long drained;
    private io.netty.util.concurrent.ScheduledFuture<?> drainTimer;
    private ProxyCall call;

    Http2StreamServerHandler(ProxyContext context) {
        this.context = context;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public boolean isHttp2() {
        return true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (draining && msg instanceof HttpContent content) {
            drained += content.content().readableBytes();
            boolean last = content instanceof io.netty.handler.codec.http.LastHttpContent;
            content.release();
            if (last) {
                cancelDrain(); // the client finished: the stream ends cleanly
            } else if (drained > MAX_DRAIN_BYTES) {
                resetAndClose(Http2Error.NO_ERROR);
            }
            return;
        }
        if (msg instanceof HttpRequest request && call == null) {
            call = new ProxyCall(context, this, request);
            call.start();
        } else if (msg instanceof HttpContent content && call != null) {
            call.onRequestContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (call != null) {
            call.onDownstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (call != null) {
            call.onDownstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            if (call != null) {
                Http2Error error = Http2Error.valueOf(reset.errorCode());
                call.onDownstreamGone(error == null ? Http2Error.CANCEL : error);
            }
            ctx.close(); // releases frames still queued on a paused stream (see resetAndClose)
            return;
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDrain();
        if (call != null) {
            call.onDownstreamGone(Http2Error.CANCEL);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (call != null) {
            call.onDownstreamGone(Http2Error.INTERNAL_ERROR);
        }
        ctx.close();
    }

    @Override
    public void callEnded(ProxyCall ended, boolean requestComplete, boolean close, ChannelFuture lastWrite) {
        if (!requestComplete && channel.isActive()) {
            // We answered before the client finished sending. RFC 9113 §8.1 allows RST_STREAM(NO_ERROR)
            // right away, but clients (curl 7.88 among them) may then drop the answer they have not yet
            // delivered. So the rest of the request is read and discarded for a little while — most
            // clients finish or stop on their own — and only a client still sending is reset.
            draining = true;
            Backpressure.resume(channel);
            drainTimer = channel.eventLoop().schedule(() -> resetAndClose(Http2Error.NO_ERROR),
                    DRAIN_TIME.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void abort(Http2Error error) {
        resetAndClose(error);
    }

    /**
     * Resets the stream and closes its channel. The close matters for a stream whose reading was paused:
     * a child channel with unread frames stays open (holding them) after its stream ends, and only
     * closing it releases them. Reading them instead would hand their flow-control window back twice.
     */
    private void cancelDrain() {
        draining = false;
        if (drainTimer != null) {
            drainTimer.cancel(false);
            drainTimer = null;
        }
    }

    private void resetAndClose(Http2Error error) {
        cancelDrain();
        if (channel.isActive()) {
            channel.writeAndFlush(new DefaultHttp2ResetFrame(error)).addListener(f -> channel.close());
        } else {
            channel.close();
        }
    }
}
