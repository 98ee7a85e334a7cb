package io.meshj.proxy.internal.http;

import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.ResetBudget;
import io.meshj.proxy.internal.call.Downstream;
import io.meshj.proxy.internal.call.ProxyCall;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.internal.h2.H2Stream;
import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.meshj.proxy.internal.h2.H2StreamListener;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The downstream side of one HTTP/2 stream: its request becomes a {@link ProxyCall}.
 *
 * <p>A request is dispatched at the end of the read its HEADERS came in, not at once: a stream the
 * client resets in the same read (the rapid-reset attack sends HEADERS and RST_STREAM back to back) is
 * dropped before anything is routed or sent upstream. A client that resets streams after they were
 * dispatched and before their response spends its {@link ResetBudget}; when that is empty, the
 * connection ends with GOAWAY ENHANCE_YOUR_CALM.
 */
final class Http2ServerStream implements Downstream, H2StreamListener {

    /** How long, and how much of, an unwanted request body is read after an early answer. */
    private static final Duration DRAIN_TIME = Duration.ofSeconds(2);
    private static final long MAX_DRAIN_BYTES = 1024 * 1024;

    private final ProxyContext context;
    private final H2Stream stream;
    private ProxyCall call;
    /** The request head received in the current read, dispatched when the read completes. */
    private HttpRequest pending;
    private boolean draining;
    private long drained;
    private ScheduledFuture<?> drainTimer;

    Http2ServerStream(ProxyContext context, H2Stream stream) {
        this.context = context;
        this.stream = stream;
    }

    // ---- what the client sends ----

    @Override
    public void onMessage(HttpObject msg) {
        if (draining) {
            drain(msg);
        } else if (msg instanceof HttpRequest request && call == null && pending == null) {
            // Body parts of this read wait in the stream (paused) until the call takes them.
            pending = request;
            stream.pauseReading();
        } else if (msg instanceof HttpContent content && call != null) {
            call.onRequestContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void drain(HttpObject msg) {
        if (msg instanceof HttpContent content) {
            drained += content.content().readableBytes();
        }
        boolean last = msg instanceof LastHttpContent;
        ReferenceCountUtil.release(msg);
        if (last) {
            cancelDrain(); // the client finished: the stream ends cleanly
            stream.release();
        } else if (drained > MAX_DRAIN_BYTES) {
            resetAndRelease(Http2Error.NO_ERROR);
        }
    }

    @Override
    public void onReadComplete() {
        if (pending != null) {
            // The whole read was seen, and the stream was not reset in it: the request goes. The call
            // resumes reading (its body) once it has an upstream, or answers itself.
            call = new ProxyCall(context, this, pending);
            pending = null;
            call.start();
        }
        if (call != null) {
            call.onDownstreamReadComplete();
        }
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        if (call != null) {
            call.onDownstreamWritabilityChanged(writable);
        }
    }

    @Override
    public void onReset(Http2Error error) {
        if (call != null && !call.hasResponded() && !call.isFinished()
                && !context.resetBudget().spend(stream.connection().remoteAddress())) {
            context.reportError(ProxyError.RESET_FLOOD, null, stream.connection().remoteAddress() + " reset more streams before their"
                    + " response than its budget allows: closing its connection");
            gone(error);
            stream.failConnection(Http2Error.ENHANCE_YOUR_CALM, "too many streams reset");
            return;
        }
        gone(error);
    }


    @Override
    public void onRefused() {
        gone(Http2Error.REFUSED_STREAM);
    }

    @Override
    public void onClosed(Throwable cause) {
        gone(cause == null ? Http2Error.CANCEL : Http2Error.INTERNAL_ERROR);
    }

    private void gone(Http2Error error) {
        if (pending != null) {
            ReferenceCountUtil.release(pending); // reset in the read that opened it: never dispatched
            pending = null;
        }
        cancelDrain();
        if (call != null) {
            call.onDownstreamGone(error);
        }
        stream.release();
    }

    // ---- what the call answers ----

    @Override
    public EventLoop eventLoop() {
        return stream.eventLoop();
    }

    @Override
    public io.netty.channel.Channel connection() {
        return stream.connection();
    }

    @Override
    public ByteBufAllocator alloc() {
        return stream.alloc();
    }

    @Override
    public boolean isHttp2() {
        return true;
    }

    @Override
    public void write(HttpObject msg) {
        stream.write(msg, stream.connection().voidPromise());
    }

    @Override
    public ChannelFuture writeWithFuture(HttpObject msg) {
        ChannelPromise promise = stream.newPromise();
        stream.write(msg, promise);
        return promise;
    }

    @Override
    public void flush() {
        stream.flush();
    }

    @Override
    public boolean isWritable() {
        return stream.isWritable();
    }

    @Override
    public void pauseReading() {
        stream.pauseReading();
    }

    @Override
    public void resumeReading() {
        stream.resumeReading();
    }

    @Override
    public void callEnded(ProxyCall ended, boolean requestComplete, boolean close, ChannelFuture lastWrite) {
        if (requestComplete) {
            stream.release(); // both directions ended: the stream closes by itself
            return;
        }
        // We answered before the client finished sending. RFC 9113 §8.1 allows RST_STREAM(NO_ERROR)
        // right away, but clients (curl 7.88 among them) may then drop the answer they have not yet
        // delivered. So the rest of the request is read and discarded for a little while — most
        // clients finish or stop on their own — and only a client still sending is reset.
        draining = true;
        drainTimer = eventLoop().schedule(() -> resetAndRelease(Http2Error.NO_ERROR), DRAIN_TIME.toMillis(),
                TimeUnit.MILLISECONDS);
        stream.resumeReading();
    }

    @Override
    public void abort(Http2Error error) {
        resetAndRelease(error);
    }

    @Override
    public void switchProtocols(FullHttpResponse switching, UpstreamLease upstream) {
        throw new UnsupportedOperationException("HTTP/2 has no upgrade"); // a call never asks: see ProxyCall
    }

    private void cancelDrain() {
        draining = false;
        if (drainTimer != null) {
            drainTimer.cancel(false);
            drainTimer = null;
        }
    }

    private void resetAndRelease(Http2Error error) {
        cancelDrain();
        stream.reset(error);
        stream.release();
    }
}
