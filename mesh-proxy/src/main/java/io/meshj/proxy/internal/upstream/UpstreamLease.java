package io.meshj.proxy.internal.upstream;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;
import java.net.SocketAddress;
import java.util.function.Consumer;

/**
 * One request's use of an upstream: an HTTP/1 connection taken from a pool, or a stream of a shared
 * HTTP/2 connection. Both take HttpObjects; events come back to the request's {@link UpstreamListener}.
 * {@link #release} ends the use exactly once.
 *
 * <p>Called on the upstream's event loop only, which is also the request's.
 */
public interface UpstreamLease {

    /** True for an HTTP/2 stream. */
    boolean isHttp2();

    /** Where the connection under the lease leads. */
    SocketAddress remoteAddress();

    /** Writes part of the request, taking ownership of {@code msg}. */
    void write(HttpObject msg);

    void flush();

    /** False while the upstream is not taking what is written (its window, or the socket, is full). */
    boolean isWritable();

    void pauseReading();

    void resumeReading();

    /** HTTP/2: resets the stream with {@code error} (passing a client's reason on); HTTP/1: nothing. */
    void reset(Http2Error error);

    /**
     * Ends this request's use. An HTTP/1 connection goes back to its pool when {@code reusable} (the
     * exchange ended cleanly and both sides allow keep-alive) and is closed otherwise; an HTTP/2 stream
     * that is still open is reset (a finished stream is already gone).
     */
    void release(boolean reusable);

    /**
     * Closes the connection under the lease, with whatever else shares it: it leads where no request
     * may go (back into this proxy).
     */
    void closeConnection();

    /**
     * HTTP/1 only, once the upstream accepted an upgrade: stops speaking HTTP on the connection and hands
     * it to {@code splice}, which installs what relays its bytes from now on; bytes the codec already
     * read flow into that relay. The connection is never pooled again.
     *
     * @throws UnsupportedOperationException on an HTTP/2 stream (HTTP/2 has no upgrade)
     */
    void tunnel(Consumer<Channel> splice);
}
