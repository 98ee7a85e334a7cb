package io.meshj.proxy.internal.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http2.Http2Error;

/**
 * Where a {@link ProxyCall} came from and answers to: an HTTP/1 connection (one request at a time) or
 * an HTTP/2 stream. Called on the downstream channel's event loop.
 */
interface Downstream {

    /** The HTTP/1 connection or HTTP/2 stream channel; it reads and writes HttpObjects. */
    Channel channel();

    /** True for an HTTP/2 stream. */
    boolean isHttp2();

    /**
     * The call ended. {@code requestComplete} says whether the whole request was read; an HTTP/1
     * connection then reads its next request (or closes, with {@code close} or a partly read request);
     * an HTTP/2 stream whose request was not fully read is reset with NO_ERROR (RFC 9113 §8.1) once
     * {@code lastWrite} (the end of the response, may be null) has gone out.
     */
    void callEnded(ProxyCall call, boolean requestComplete, boolean close, ChannelFuture lastWrite);

    /** Abandons the exchange: RST_STREAM with {@code error} on HTTP/2, closing the connection on HTTP/1. */
    void abort(Http2Error error);
}
