package io.meshj.proxy.internal.http;

import io.netty.channel.Channel;
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

    private final ProxyContext context;
    private Channel channel;
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
            return;
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
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
    public void callEnded(ProxyCall ended, boolean requestComplete, boolean close) {
        if (!requestComplete && channel.isActive()) {
            // We answered before the client finished sending: ask it to stop (RFC 9113 §8.1).
            channel.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
        }
    }

    @Override
    public void abort(Http2Error error) {
        if (channel.isActive()) {
            channel.writeAndFlush(new DefaultHttp2ResetFrame(error));
        }
    }
}
