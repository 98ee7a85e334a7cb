package io.meshj.proxy.internal.h2;

import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;

/**
 * What an {@link H2Stream} reports to whoever uses it. All calls happen on the connection's event
 * loop; none after {@link H2Stream#release()}.
 */
public interface H2StreamListener {

    /**
     * A message read from the stream: a request or response head (a full message when the stream ended
     * with it, also for 1xx responses), a body part, or the end (a LastHttpContent, with trailers if any).
     * The listener owns {@code msg}.
     */
    void onMessage(HttpObject msg);

    /** The end of a read batch: a good moment to flush what was forwarded. */
    void onReadComplete();

    /** The stream's writability (its flow-control window and the connection's buffer) changed. */
    void onWritabilityChanged(boolean writable);

    /** The peer reset the stream with {@code error}. */
    void onReset(Http2Error error);

    /** The peer will not process this locally opened stream (GOAWAY below its id, or REFUSED_STREAM). */
    void onRefused();

    /**
     * The stream closed before this listener was released, with its exchange unfinished and without a
     * reset from either side: the connection went away, or a stream error ({@code cause}, may be null)
     * ended it.
     */
    void onClosed(Throwable cause);
}
