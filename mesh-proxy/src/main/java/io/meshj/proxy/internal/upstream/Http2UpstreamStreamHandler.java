package io.meshj.proxy.internal.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;

/** The last handler of an upstream HTTP/2 stream: passes its events to the request that opened it. */
final class Http2UpstreamStreamHandler extends ChannelInboundHandlerAdapter {

    private final UpstreamListener listener;
    private boolean done;

    Http2UpstreamStreamHandler(UpstreamListener listener) {
        this.listener = listener;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpObject http && !done) {
            listener.onResponseObject(http);
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!done) {
            listener.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!done) {
            listener.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        try {
            if (evt instanceof Http2ResetFrame reset && !done) {
                done = true;
                Http2Error error = Http2Error.valueOf(reset.errorCode());
                if (error == Http2Error.REFUSED_STREAM) {
                    listener.onUpstreamRefused();
                } else {
                    listener.onUpstreamReset(error == null ? Http2Error.INTERNAL_ERROR : error);
                }
            } else if (evt instanceof Http2GoAwayFrame && !done) {
                // Our stream id is above the GOAWAY's last stream id: the server never processed it.
                done = true;
                listener.onUpstreamRefused();
            }
        } finally {
            ReferenceCountUtil.release(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            done = true;
            listener.onUpstreamClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!done) {
            done = true;
            listener.onUpstreamClosed(cause);
        }
        ctx.close();
    }
}
