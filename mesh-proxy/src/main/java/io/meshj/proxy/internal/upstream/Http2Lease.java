package io.meshj.proxy.internal.upstream;

import io.meshj.proxy.internal.h2.H2Stream;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;
import java.net.SocketAddress;
import java.util.function.Consumer;

/** A stream of a shared HTTP/2 connection, opened for one request. */
final class Http2Lease implements UpstreamLease {

    private final H2Stream stream;
    private boolean released;

    Http2Lease(H2Stream stream) {
        this.stream = stream;
    }

    @Override
    public boolean isHttp2() {
        return true;
    }

    @Override
    public SocketAddress remoteAddress() {
        return stream.connection().remoteAddress();
    }

    @Override
    public void write(HttpObject msg) {
        stream.write(msg, stream.connection().voidPromise());
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
    public void reset(Http2Error error) {
        stream.reset(error);
    }

    @Override
    public void release(boolean reusable) {
        if (!released) {
            released = true;
            stream.release();
        }
    }

    @Override
    public void closeConnection() {
        release(false);
        stream.connection().close();
    }

    @Override
    public void tunnel(Consumer<Channel> splice) {
        throw new UnsupportedOperationException("an HTTP/2 stream cannot be upgraded");
    }
}
