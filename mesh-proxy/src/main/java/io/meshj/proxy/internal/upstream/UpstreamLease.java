package io.meshj.proxy.internal.upstream;

import io.netty.channel.Channel;

/**
 * One request's use of an upstream: an HTTP/1 connection taken from the pool, or a new stream on a
 * shared HTTP/2 connection. Writes go to {@link #channel()}; events come back to the request's
 * {@link UpstreamListener}. {@link #release} ends the use exactly once.
 */
public final class UpstreamLease {

    private final Channel channel;
    private final boolean http2;
    private final UpstreamConnector.Http1Pool pool;
    private boolean released;

    UpstreamLease(Channel channel, boolean http2, UpstreamConnector.Http1Pool pool) {
        this.channel = channel;
        this.http2 = http2;
        this.pool = pool;
    }

    public Channel channel() {
        return channel;
    }

    /** True for an HTTP/2 stream (the channel speaks HttpObjects through a stream codec). */
    public boolean isHttp2() {
        return http2;
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
        if (http2) {
            // Closing also releases frames a paused stream still queues. (Reading them instead would
            // return their flow-control window a second time: the connection already took it back
            // when the stream ended, and Netty then fails the whole connection.)
            if (channel.isActive()) {
                channel.close();
            }
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
