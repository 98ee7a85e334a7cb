package io.meshj.proxy.internal.upstream;

import io.meshj.proxy.internal.h2.H2Stream;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;
import java.net.SocketAddress;

/**
 * One request's use of an upstream: an HTTP/1 connection taken from the pool, or a new stream on a
 * shared HTTP/2 connection. Both take HttpObjects; events come back to the request's
 * {@link UpstreamListener}. {@link #release} ends the use exactly once.
 */
public final class UpstreamLease {

    private final Channel channel;
    private final H2Stream stream;
    private final UpstreamConnector.Http1Pool pool;
    private boolean released;

    private UpstreamLease(Channel channel, H2Stream stream, UpstreamConnector.Http1Pool pool) {
        this.channel = channel;
        this.stream = stream;
        this.pool = pool;
    }

    static UpstreamLease http1(Channel connection, UpstreamConnector.Http1Pool pool) {
        return new UpstreamLease(connection, null, pool);
    }

    static UpstreamLease http2(H2Stream stream) {
        return new UpstreamLease(stream.connection(), stream, null);
    }

    /** The connection: the HTTP/1 connection itself, or the HTTP/2 connection the stream is part of. */
    public Channel channel() {
        return channel;
    }

    /** True for an HTTP/2 stream. */
    public boolean isHttp2() {
        return stream != null;
    }

    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    /** Writes part of the request, taking ownership of {@code msg}. */
    public void write(HttpObject msg) {
        if (stream != null) {
            stream.write(msg, channel.voidPromise());
        } else {
            channel.write(msg, channel.voidPromise());
        }
    }

    public void flush() {
        if (stream != null) {
            stream.flush();
        } else {
            channel.flush();
        }
    }

    /** False while the upstream is not taking what is written (its window, or the socket, is full). */
    public boolean isWritable() {
        return stream != null ? stream.isWritable() : channel.isWritable();
    }

    public void pauseReading() {
        if (stream != null) {
            stream.pauseReading();
        } else {
            channel.config().setAutoRead(false);
        }
    }

    public void resumeReading() {
        if (stream != null) {
            stream.resumeReading();
        } else {
            channel.config().setAutoRead(true);
            channel.read();
        }
    }

    /** HTTP/2: resets the stream with {@code error} (passing a client's reason on); HTTP/1: nothing. */
    public void reset(Http2Error error) {
        if (stream != null) {
            stream.reset(error);
        }
    }

    /**
     * Ends this request's use. An HTTP/1 connection goes back to its pool when {@code reusable} (the
     * exchange ended cleanly and both sides allow keep-alive) and is closed otherwise; an HTTP/2 stream
     * that is still open is reset (a finished stream is already gone).
     */
    public void release(boolean reusable) {
        if (released) {
            return;
        }
        released = true;
        if (stream != null) {
            stream.release();
            return;
        }
        Http1UpstreamHandler handler = channel.pipeline().get(Http1UpstreamHandler.class);
        if (handler != null) {
            handler.detach();
        }
        if (reusable && channel.isActive() && handler != null) {
            pool.offer(channel);
        } else {
            channel.close();
        }
    }
}
