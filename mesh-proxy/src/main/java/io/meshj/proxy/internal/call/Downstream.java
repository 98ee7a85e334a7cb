package io.meshj.proxy.internal.call;

import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;

/**
 * Where a {@link ProxyCall} came from and answers to: an HTTP/1 connection (one request at a time) or
 * an HTTP/2 stream. Both speak HttpObjects. Called on the downstream's event loop.
 */
public interface Downstream {

    EventLoop eventLoop();

    ByteBufAllocator alloc();

    /** The client's connection (for an HTTP/2 stream, the connection it is on). */
    io.netty.channel.Channel connection();

    /** True for an HTTP/2 stream. */
    boolean isHttp2();

    /** Writes part of the response (taking ownership), without a future. */
    void write(HttpObject msg);

    /** Writes part of the response (taking ownership); the future completes when it is written. */
    ChannelFuture writeWithFuture(HttpObject msg);

    void flush();

    /** False while the client is not taking what is written (its window, or the socket, is full). */
    boolean isWritable();

    /** Stops reading the request until {@link #resumeReading()}; what the client sends waits in its window or the socket. */
    void pauseReading();

    void resumeReading();

    /**
     * The call ended. {@code requestComplete} says whether the whole request was read; an HTTP/1
     * connection then reads its next request (or closes, with {@code close} or a partly read request);
     * an HTTP/2 stream whose request was not fully read is reset with NO_ERROR (RFC 9113 §8.1) once
     * {@code lastWrite} (the end of the response, may be null) has gone out.
     */
    void callEnded(ProxyCall call, boolean requestComplete, boolean close, ChannelFuture lastWrite);

    /** Abandons the exchange: RST_STREAM with {@code error} on HTTP/2, closing the connection on HTTP/1. */
    void abort(Http2Error error);

    /**
     * The upstream accepted the client's HTTP/1 upgrade (a WebSocket): sends {@code switching} (the 101),
     * then stops speaking HTTP on both connections and relays their bytes, {@code upstream}'s included
     * (see {@link UpstreamLease#tunnel}). Only an HTTP/1 connection is ever asked to.
     */
    void switchProtocols(FullHttpResponse switching, UpstreamLease upstream);
}
