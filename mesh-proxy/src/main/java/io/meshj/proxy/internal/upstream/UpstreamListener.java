package io.meshj.proxy.internal.upstream;

import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;

/**
 * What a leased upstream (an HTTP/1 connection or an HTTP/2 stream) reports to the request using it.
 * All calls happen on the upstream channel's event loop.
 */
public interface UpstreamListener {

    /** A response head, body part or end (with trailers). The listener owns {@code msg}. */
    void onResponseObject(HttpObject msg);

    /** The end of a read batch: a good moment to flush what was forwarded. */
    void onUpstreamReadComplete();

    void onUpstreamWritabilityChanged(boolean writable);

    /** The upstream reset the stream (HTTP/2 RST_STREAM) with {@code error}. */
    void onUpstreamReset(Http2Error error);

    /** The upstream will not process the stream (HTTP/2 GOAWAY below its id, or REFUSED_STREAM): safe to retry. */
    void onUpstreamRefused();

    /** The connection or stream closed (or failed with {@code cause}, which may be null). */
    void onUpstreamClosed(Throwable cause);
}
