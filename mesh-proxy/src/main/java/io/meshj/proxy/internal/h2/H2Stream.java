package io.meshj.proxy.internal.h2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One HTTP/2 stream of an {@link H2ConnectionHandler}, as HttpObjects: what is read from it goes to its
 * {@link H2StreamListener} converted to Netty's HTTP/1-style messages, and messages written to it
 * become HEADERS and DATA frames (the conversions of Netty's {@code Http2StreamFrameToHttpObjectCodec}).
 *
 * <p>Flow control is end to end: while reading is paused, DATA the peer sends is held here and its
 * window is not returned, so the peer can send at most one stream window more; resuming delivers what
 * was held and returns its window (and flushes the WINDOW_UPDATE, which may be due on a connection
 * nothing else is flushing: netty/netty#10072). Writability follows the peer's window for the stream.
 *
 * <p>A locally opened stream (a request to an upstream) gets its id when its head is written, so ids
 * go out in order however leases interleave. Everything runs on the connection's event loop.
 */
public final class H2Stream {

    private final H2ConnectionHandler handler;
    private final boolean server;
    private H2StreamListener listener;
    private int id;
    private Http2Stream stream;
    private boolean paused;
    private ArrayDeque<HttpObject> held;
    private boolean headRead;
    private boolean inboundEnded;
    private boolean outboundEnded;
    /** Closed, or about to be: Netty closes a stream right after its RST_STREAM or GOAWAY event. */
    private boolean closed;
    private Throwable closeCause;
    private boolean inReadBatch;
    /** This side reset the stream: its listener knows the stream is over and hears no close. */
    private boolean resetByThisSide;

    /** A stream the peer opened (server side); {@link #listener(H2StreamListener)} must follow. */
    H2Stream(H2ConnectionHandler handler, Http2Stream stream) {
        this.handler = handler;
        this.server = true;
        this.stream = stream;
        this.id = stream.id();
    }

    /** A stream this side will open with its first write (client side). */
    H2Stream(H2ConnectionHandler handler, H2StreamListener listener) {
        this.handler = handler;
        this.server = false;
        this.listener = listener;
    }

    void listener(H2StreamListener l) {
        this.listener = l;
    }

    public EventLoop eventLoop() {
        return handler.channel().eventLoop();
    }

    public ByteBufAllocator alloc() {
        return handler.channel().alloc();
    }

    /** The HTTP/2 connection this stream is part of. */
    public Channel connection() {
        return handler.channel();
    }

    public ChannelPromise newPromise() {
        return handler.ctx().newPromise();
    }

    // ---- writing ----

    /** Writes {@code msg} (taking ownership) as frames; {@code promise} completes with the last of them. */
    public void write(HttpObject msg, ChannelPromise promise) {
        ChannelHandlerContext ctx = handler.ctx();
        if (outboundEnded || closed) {
            ReferenceCountUtil.release(msg);
            promise.tryFailure(new IllegalStateException("HTTP/2 stream " + id + " is closed for writing"));
            return;
        }
        if (msg instanceof HttpMessage head) {
            Http2Headers headers = toHttp2Headers(head);
            if (head instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL
                    && r.status().code() != 101) {
                // 1xx: a HEADERS frame that does not end the stream; the final response follows.
                ReferenceCountUtil.release(msg);
                writeHeaders(ctx, headers, false, promise);
                return;
            }
            boolean headOnly = msg instanceof FullHttpMessage full
                    && !full.content().isReadable() && full.trailingHeaders().isEmpty();
            if (stream == null && !open(msg, promise)) {
                return;
            }
            if (headOnly) {
                ReferenceCountUtil.release(msg);
                writeHeaders(ctx, headers, true, promise);
                return;
            }
            writeHeaders(ctx, headers, false, msg instanceof HttpContent ? ctx.voidPromise() : promise);
        } else if (stream == null && !open(msg, promise)) {
            return;
        }
        if (msg instanceof LastHttpContent last) {
            boolean trailers = !last.trailingHeaders().isEmpty();
            if (last.content().isReadable() || !trailers) {
                handler.encoder().writeData(ctx, id, last.content(), 0, !trailers, trailers ? ctx.voidPromise() : promise);
            } else {
                last.release();
            }
            if (trailers) {
                writeHeaders(ctx, HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), false), true, promise);
            }
            outboundEnded = true;
        } else if (msg instanceof HttpContent content) {
            handler.encoder().writeData(ctx, id, content.content(), 0, false, promise);
        }
    }

    private void writeHeaders(ChannelHandlerContext ctx, Http2Headers headers, boolean endStream, ChannelPromise promise) {
        handler.encoder().writeHeaders(ctx, id, headers, 0, endStream, promise);
        if (endStream) {
            outboundEnded = true;
        }
        if (stream == null) {
            // The first HEADERS of a locally opened stream create it; if they could not, the encoder
            // has failed the write and reported the error to the connection handler.
            stream = handler.connection().stream(id);
            if (stream == null && !closed) {
                closed = true;
                closeCause = promise.isVoid() ? null : promise.cause();
                eventLoop().execute(this::notifyClosed);
            }
        }
    }

    /**
     * Takes the next stream id for a locally opened stream. False (with {@code msg} released and the
     * listener told, on a later turn of the loop) when the connection cannot take another stream.
     */
    private boolean open(HttpObject msg, ChannelPromise promise) {
        Http2Connection connection = handler.connection();
        int next = connection.local().incrementAndGetNextStreamId();
        if (server || connection.goAwayReceived() || !connection.local().canOpenStream() || next <= 0) {
            ReferenceCountUtil.release(msg);
            promise.tryFailure(new IllegalStateException("the HTTP/2 connection takes no more streams"));
            eventLoop().execute(() -> {
                H2StreamListener l = listener;
                listener = null;
                if (l != null) {
                    l.onRefused();
                }
            });
            closed = true;
            return false;
        }
        id = next;
        handler.register(this); // before the HEADERS frame creates the stream, which may fire events
        return true;
    }

    private Http2Headers toHttp2Headers(HttpMessage head) {
        if (head instanceof HttpRequest) {
            // The request's scheme is the connection's (plaintext here).
            head.headers().set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), handler.scheme());
        }
        return HttpConversionUtil.toHttp2Headers(head, false);
    }

    public void flush() {
        handler.flush(handler.ctx());
    }

    public boolean isWritable() {
        return stream == null ? handler.channel().isWritable() : handler.encoder().flowController().isWritable(stream);
    }

    /** Resets the stream with {@code error} if it is still open; the listener stays attached. */
    /** Ends the whole connection with a connection error of {@code error} (a GOAWAY, then the close). */
    public void failConnection(Http2Error error, String message) {
        handler.onError(handler.ctx(), false, Http2Exception.connectionError(error, "%s", message));
    }

    public void reset(Http2Error error) {
        if (stream != null && !closed && !stream.isResetSent()) {
            resetByThisSide = true;
            ChannelHandlerContext ctx = handler.ctx();
            handler.resetStream(ctx, id, error.code(), ctx.newPromise());
            handler.flush(ctx);
        }
    }

    /**
     * Ends this side's use of the stream: the listener hears nothing more, held data is dropped (its
     * window comes back when the stream closes), and a stream still open in either direction is reset
     * with CANCEL.
     */
    public void release() {
        listener = null;
        dropHeld();
        if (stream != null && !closed && !(inboundEnded && outboundEnded)) {
            reset(Http2Error.CANCEL);
        }
        handler.unregister(this);
    }

    // ---- reading ----

    public void pauseReading() {
        paused = true;
    }

    /** Resumes reading: delivers what was held, returns its flow-control window and flushes. */
    public void resumeReading() {
        paused = false;
        if (held == null || held.isEmpty()) {
            return;
        }
        int consumed = 0;
        HttpObject msg;
        while (!paused && listener != null && (msg = held.poll()) != null) {
            consumed += flowControlledBytes(msg);
            listener.onMessage(msg);
        }
        if (listener != null) {
            listener.onReadComplete();
        }
        if (consumed > 0 && stream != null) {
            try {
                handler.connection().local().flowController().consumeBytes(stream, consumed);
            } catch (Http2Exception e) {
                handler.onError(handler.ctx(), false, e);
            }
            handler.flush(handler.ctx());
        }
        if (closed && (held == null || held.isEmpty())) {
            notifyClosed();
        }
    }

    /** Inbound HEADERS. Throws a stream error for headers that make no HTTP message. */
    void onHeaders(Http2Headers headers, boolean endStream) throws Http2Exception {
        HttpObject msg;
        try {
            msg = toMessage(headers, endStream);
        } catch (IllegalArgumentException | NullPointerException e) {
            // Netty's conversion refuses a head it cannot make a message of (no :method or :path, a
            // method that is no token) with these, not with an Http2Exception; the connection handler
            // would take them for a bug of its own and end the whole connection with INTERNAL_ERROR.
            // A malformed message is a stream error (RFC 9113 §8.1.1). Found by fuzzing.
            throw Http2Exception.streamError(id, Http2Error.PROTOCOL_ERROR, e, "malformed headers: %s", e.getMessage());
        }
        if (endStream) {
            inboundEnded = true;
        }
        deliver(msg);
    }

    private HttpObject toMessage(Http2Headers headers, boolean endStream) throws Http2Exception {
        HttpObject msg;
        CharSequence status = headers.status();
        if (!headRead && !server && status != null && isInformational(status)) {
            // 1xx: delivered whole; the final response head is still to come.
            msg = HttpConversionUtil.toFullHttpResponse(id, headers, Unpooled.EMPTY_BUFFER, false);
        } else if (!headRead) {
            headRead = true;
            if (endStream) {
                msg = server ? HttpConversionUtil.toFullHttpRequest(id, headers, Unpooled.EMPTY_BUFFER, false)
                        : HttpConversionUtil.toFullHttpResponse(id, headers, Unpooled.EMPTY_BUFFER, false);
            } else {
                HttpMessage head = server ? HttpConversionUtil.toHttpRequest(id, headers, false)
                        : HttpConversionUtil.toHttpResponse(id, headers, false);
                if ((status == null || !isContentAlwaysEmpty(status)) && !HttpUtil.isContentLengthSet(head)) {
                    head.headers().add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                }
                msg = head;
            }
        } else {
            LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, false);
            HttpConversionUtil.addHttp2ToHttpHeaders(id, headers, last.trailingHeaders(), HttpVersion.HTTP_1_1, true, true);
            msg = last;
        }
        return msg;
    }

    /** Inbound DATA; returns the bytes processed now (the rest are returned when delivered). */
    int onData(ByteBuf data, int padding, boolean endStream) {
        int bytes = data.readableBytes();
        if (listener == null) {
            return bytes + padding;
        }
        HttpContent msg = endStream ? new DefaultLastHttpContent(data.retain(), false) : new DefaultHttpContent(data.retain());
        if (endStream) {
            inboundEnded = true;
        }
        return deliver(msg) ? bytes + padding : padding;
    }

    /** Delivers {@code msg} now, or holds it while reading is paused. True if delivered. */
    private boolean deliver(HttpObject msg) {
        if (listener == null) {
            ReferenceCountUtil.release(msg);
            return true;
        }
        if (paused || held != null && !held.isEmpty()) {
            if (held == null) {
                held = new ArrayDeque<>(4);
            }
            held.add(msg);
            return false;
        }
        if (!inReadBatch) {
            inReadBatch = true;
            handler.readBatch(this);
        }
        listener.onMessage(msg);
        return true;
    }

    /** The end of the connection's read batch in which this stream delivered something. */
    void onReadComplete() {
        inReadBatch = false;
        if (listener != null) {
            listener.onReadComplete();
        }
    }

    void onWritabilityChanged() {
        // Netty also reports a stream turning unwritable as it closes; only a writer cares.
        if (listener != null && stream != null && !outboundEnded && !closed && !resetByThisSide) {
            listener.onWritabilityChanged(handler.encoder().flowController().isWritable(stream));
        }
    }

    void onPeerReset(long errorCode) {
        closed = true; // never answer a reset with a reset
        H2StreamListener l = listener;
        listener = null;
        dropHeld();
        if (l != null) {
            Http2Error error = Http2Error.valueOf(errorCode);
            if (error == Http2Error.REFUSED_STREAM && !server) {
                l.onRefused();
            } else {
                l.onReset(error == null ? Http2Error.INTERNAL_ERROR : error);
            }
        }
    }

    /** The peer's GOAWAY says it never processed this stream. */
    void onRefusedByGoAway() {
        closed = true;
        H2StreamListener l = listener;
        listener = null;
        dropHeld();
        if (l != null) {
            l.onRefused();
        }
    }

    void onStreamError(Throwable cause) {
        closeCause = cause;
    }

    /** The stream closed: once what is held has been delivered, the listener hears of it. */
    void onStreamClosed() {
        closed = true;
        if (held == null || held.isEmpty()) {
            notifyClosed();
        }
    }

    private void notifyClosed() {
        H2StreamListener l = listener;
        listener = null;
        handler.unregister(this);
        if (l != null && !resetByThisSide && !(inboundEnded && outboundEnded && closeCause == null)) {
            l.onClosed(closeCause);
        }
    }

    private void dropHeld() {
        if (held != null) {
            HttpObject msg;
            while ((msg = held.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    int id() {
        return id;
    }

    private static int flowControlledBytes(HttpObject msg) {
        return msg instanceof HttpContent c ? c.content().readableBytes() : 0;
    }

    private static boolean isInformational(CharSequence status) {
        return status.length() == 3 && status.charAt(0) == '1' && !"101".contentEquals(status);
    }

    private static boolean isContentAlwaysEmpty(CharSequence status) {
        return "204".contentEquals(status) || "304".contentEquals(status);
    }

    @Override
    public String toString() {
        return "H2Stream(" + (server ? "server" : "client") + ", id " + id + ")";
    }
}
