package io.meshj.proxy.internal.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;
import java.net.SocketAddress;
import java.util.function.Consumer;

/** A pooled HTTP/1 connection, leased to one request at a time. */
final class Http1Lease implements UpstreamLease {

    private final Channel channel;
    private final Http1Pool pool;
    private boolean released;

    Http1Lease(Channel channel, Http1Pool pool) {
        this.channel = channel;
        this.pool = pool;
    }

    @Override
    public boolean isHttp2() {
        return false;
    }

    @Override
    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    @Override
    public void write(HttpObject msg) {
        channel.write(msg, channel.voidPromise());
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
    public void reset(Http2Error error) {
        // HTTP/1 has no resets: releasing the connection unfinished closes it.
    }

    @Override
    public void release(boolean reusable) {
        if (released) {
            return;
        }
        released = true;
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

    @Override
    public void closeConnection() {
        release(false);
        channel.close();
    }

    @Override
    public void tunnel(Consumer<Channel> splice) {
        released = true; // the connection belongs to the tunnel now, never to the pool
        ChannelPipeline p = channel.pipeline();
        removeIfPresent(p, Http1Upstreams.HANDLER);
        removeIfPresent(p, Http1Upstreams.IDLE);
        // The encoder goes now (raw bytes will be written here), the decoder once the relay is in
        // place, so that what it read behind the 101 reaches the relay.
        HttpClientCodec codec = p.get(HttpClientCodec.class);
        if (codec != null) {
            codec.removeOutboundHandler();
        }
        splice.accept(channel);
        removeIfPresent(p, Http1Upstreams.CODEC);
    }

    private static void removeIfPresent(ChannelPipeline p, String name) {
        if (p.get(name) != null) {
            p.remove(name);
        }
    }
}
