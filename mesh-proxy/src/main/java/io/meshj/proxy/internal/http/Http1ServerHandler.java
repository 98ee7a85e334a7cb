package io.meshj.proxy.internal.http;

import io.meshj.proxy.internal.DrainEvent;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.call.Downstream;
import io.meshj.proxy.internal.call.ProxyCall;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.internal.call.ProxyErrorResponses;
import io.meshj.proxy.internal.tcp.TcpRelay;
import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * The downstream side of an HTTP/1 connection: turns each request into a {@link ProxyCall}, one at a
 * time. Pipelined requests that arrive while one is in flight wait in a queue (reading pauses as soon as
 * anything is queued, so the queue holds at most one read) and are served in order, as HTTP/1.1 requires.
 *
 * <p>A request the codec could not parse gets its status (400, 414 or 431) and the connection closes:
 * after a framing error nothing else on the connection can be trusted.
 */
final class Http1ServerHandler extends ChannelInboundHandlerAdapter implements Downstream {

    static final String NAME = "http1";
    static final String CODEC_NAME = "http-codec";

    private final ProxyContext context;
    private Channel channel;
    private ProxyCall call;
    private boolean callReadsRequest;
    private boolean dropEmptyEnd;
    private ArrayDeque<HttpObject> queued;
    /** The client will send nothing more, or the proxy is draining: answer what was read, then close. */
    private boolean closeWhenIdle;

    Http1ServerHandler(ProxyContext context) {
        this.context = context;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    private boolean isIdle() {
        return call == null && (queued == null || queued.isEmpty());
    }

    @Override
    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    @Override
    public io.netty.channel.Channel connection() {
        return channel;
    }

    @Override
    public ByteBufAllocator alloc() {
        return channel.alloc();
    }

    @Override
    public void write(HttpObject msg) {
        channel.write(msg, channel.voidPromise());
    }

    @Override
    public ChannelFuture writeWithFuture(HttpObject msg) {
        return channel.write(msg);
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void pauseReading() {
        channel.config().setAutoRead(false);
    }

    @Override
    public void resumeReading() {
        channel.config().setAutoRead(true);
        channel.read();
    }

    @Override
    public boolean isHttp2() {
        return false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject http)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (dropEnd(http)) {
            return;
        }
        if (call != null || queued != null && !queued.isEmpty()) {
            if (call != null && callReadsRequest && !(msg instanceof HttpRequest)) {
                deliverContent((HttpContent) msg);
            } else {
                // A pipelined request: it waits for the one in flight.
                if (queued == null) {
                    queued = new ArrayDeque<>(4);
                }
                queued.add(http);
                // Read no further until the call in flight ends: what was read is bounded by one read,
                // and a client pipelining a large body behind a slow request cannot grow the queue.
                channel.config().setAutoRead(false);
            }
            return;
        }
        handle(http);
    }

    /** Drops the empty end of a bodyless request that was forwarded whole; true if {@code msg} was it. */
    private boolean dropEnd(HttpObject msg) {
        if (dropEmptyEnd && msg instanceof LastHttpContent last && !(msg instanceof HttpRequest)) {
            dropEmptyEnd = false;
            last.release();
            return true;
        }
        return false;
    }

    private void handle(HttpObject msg) {
        if (msg instanceof HttpRequest request) {
            RequestHeadTimeoutHandler timer = channel.pipeline().get(RequestHeadTimeoutHandler.class);
            if (timer != null) {
                timer.headReceived();
            }
            if (request.decoderResult().isFailure()) {
                ReferenceCountUtil.release(request);
                rejectMalformed(request.decoderResult().cause());
                return;
            }
            String badTarget = AbsoluteForm.toOriginForm(request);
            if (badTarget != null) {
                ReferenceCountUtil.release(request);
                reject(ProxyError.BAD_REQUEST, badTarget);
                return;
            }
            call = new ProxyCall(context, this, request);
            callReadsRequest = call.readsRequestBody();
            // The decoder ends every request with a LastHttpContent; a bodyless request was forwarded
            // whole, so its (empty) end is dropped rather than taken for the next request's.
            dropEmptyEnd = !callReadsRequest;
            call.start();
            return;
        }
        // Body parts with no request: the tail of a request we already answered (and are closing on).
        ReferenceCountUtil.release(msg);
    }

    private void deliverContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release();
            call.onDownstreamGone(Http2Error.PROTOCOL_ERROR);
            channel.close();
            return;
        }
        if (content instanceof LastHttpContent) {
            callReadsRequest = false;
        }
        call.onRequestContent(content);
    }

    private void rejectMalformed(Throwable cause) {
        ProxyError error = cause instanceof TooLongHttpLineException ? ProxyError.URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? ProxyError.HEADERS_TOO_LARGE
                : cause instanceof TooLongFrameException ? ProxyError.HEADERS_TOO_LARGE
                : ProxyError.BAD_REQUEST;
        reject(error, cause == null || cause.getMessage() == null ? null : cause.getMessage());
    }

    /** Answers a request that cannot be served with {@code error} and closes: the connection is out of sync. */
    private void reject(ProxyError error, String detail) {
        context.reportError(error, null, detail);
        channel.writeAndFlush(ProxyErrorResponses.of(error, detail, false, channel.alloc()))
                .addListener(ChannelFutureListener.CLOSE);
        channel.config().setAutoRead(false);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (call != null) {
            call.onDownstreamReadComplete();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (call != null) {
            call.onDownstreamWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * The client shut down its side (a half-close, or the first sign of a full close). Listeners allow
     * half-closed connections for opaque TCP, so Netty leaves closing to us: requests already read are
     * still answered and the connection closes after the last; a request whose body was still arriving
     * can never complete and is abandoned.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof DrainEvent) {
            // Shutting down: an idle connection closes now, a busy one after its response (which says
            // Connection: close).
            closeWhenIdle = true;
            if (isIdle()) {
                channel.close();
            }
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent) {
            closeWhenIdle = true;
            if (call != null && callReadsRequest) {
                ProxyCall abandoned = call;
                call = null;
                abandoned.onDownstreamGone(Http2Error.CANCEL);
                channel.close();
            } else if (isIdle()) {
                channel.close();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (call != null) {
            call.onDownstreamGone(Http2Error.CANCEL);
            call = null;
        }
        if (queued != null) {
            queued.forEach(ReferenceCountUtil::release);
            queued.clear();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Removed when the connection switches protocols (WebSocket): nothing queued will be served.
        if (queued != null) {
            queued.forEach(ReferenceCountUtil::release);
            queued.clear();
        }
    }

    @Override
    public void callEnded(ProxyCall ended, boolean requestComplete, boolean close, ChannelFuture lastWrite) {
        if (ended != call) {
            return;
        }
        call = null;
        callReadsRequest = false;
        if (close || !requestComplete) {
            // Without the rest of the request the connection cannot be read in sync again.
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        RequestHeadTimeoutHandler timer = channel.pipeline().get(RequestHeadTimeoutHandler.class);
        if (timer != null) {
            timer.awaitNextHead();
        }
        while (call == null && queued != null && !queued.isEmpty()) {
            HttpObject next = queued.poll();
            if (dropEnd(next)) {
                continue;
            }
            handle(next);
            // Feed the new call the body parts that were queued behind its head.
            while (call != null && !queued.isEmpty() && !(queued.peek() instanceof HttpRequest)) {
                HttpObject part = queued.poll();
                if (dropEnd(part)) {
                    continue;
                }
                if (callReadsRequest) {
                    deliverContent((HttpContent) part);
                } else {
                    ReferenceCountUtil.release(part);
                }
            }
        }
        if (call == null && closeWhenIdle) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else if (call == null && !channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
        }
    }

    @Override
    public void abort(Http2Error error) {
        call = null;
        channel.close();
    }

    /**
     * Writes the 101, then hands both connections to a {@link TcpRelay}. This handler, the head timer and
     * the codec's encoder go first: from now on both directions carry raw bytes, which an HTTP encoder
     * would refuse. The codec's decoder goes last, on each side once the relay is in place, so that bytes
     * it already read behind the handshake (a server that speaks first sends them with its 101) flow on.
     */
    @Override
    public void switchProtocols(FullHttpResponse switching, UpstreamLease upstream) {
        channel.writeAndFlush(switching);
        ChannelPipeline p = channel.pipeline();
        p.remove(this);
        removeIfPresent(p, RequestHeadTimeoutHandler.NAME);
        HttpServerCodec codec = p.get(HttpServerCodec.class);
        if (codec != null) {
            codec.removeOutboundHandler();
        }
        upstream.tunnel(u -> TcpRelay.splice(channel, u, context.config().tcpIdleTimeout()));
        removeIfPresent(p, CODEC_NAME);
    }

    private static void removeIfPresent(ChannelPipeline p, String name) {
        if (p.get(name) != null) {
            p.remove(name);
        }
    }
}
