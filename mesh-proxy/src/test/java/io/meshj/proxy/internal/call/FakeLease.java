package io.meshj.proxy.internal.call;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.meshj.proxy.internal.upstream.UpstreamListener;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An upstream that records what a request writes to it and lets the test answer: {@link #respond}
 * delivers response parts to the request, {@link #resetByPeer}, {@link #refuse} and {@link #close} are
 * what an upstream can do to it. Everything written is retained until {@link #releaseAll}.
 */
public final class FakeLease implements UpstreamLease {

    private final Authority address;
    private final boolean http2;
    private final UpstreamListener listener;
    private final List<HttpObject> written = new ArrayList<>();
    /** What the request did that no upstream allows; recorded, since it may happen in a future's listener. */
    private final List<String> violations;
    private boolean writable = true;
    private boolean reading = true;
    private int flushes;
    private Boolean releasedReusable;
    private Http2Error reset;
    private boolean connectionClosed;

    FakeLease(Authority address, boolean http2, UpstreamListener listener, List<String> violations) {
        this.violations = violations;
        this.address = address;
        this.http2 = http2;
        this.listener = listener;
    }

    // ---- what the test does as the upstream ----

    /** Delivers {@code parts} of the response, then the end of the read. */
    public FakeLease respond(HttpObject... parts) {
        deliver(parts);
        readComplete();
        return this;
    }

    /** Delivers {@code parts} of the response within a read that has not ended yet. */
    public void deliver(HttpObject... parts) {
        for (HttpObject p : parts) {
            listener.onResponseObject(p);
        }
    }

    /** Ends the read: what was relayed is flushed. */
    public void readComplete() {
        listener.onUpstreamReadComplete();
    }

    public void resetByPeer(Http2Error error) {
        listener.onUpstreamReset(error);
    }

    public void refuse() {
        listener.onUpstreamRefused();
    }

    public void close(Throwable cause) {
        listener.onUpstreamClosed(cause);
    }

    /** The upstream's window or socket fills up ({@code false}) or drains. */
    public void writable(boolean w) {
        writable = w;
        listener.onUpstreamWritabilityChanged(w);
    }

    // ---- what the test reads ----

    public Authority address() {
        return address;
    }

    /** The request head written, or null. */
    public HttpRequest head() {
        for (HttpObject o : written) {
            if (o instanceof HttpRequest r) {
                return r;
            }
        }
        return null;
    }

    /** The body bytes written so far, as text. */
    public String body() {
        StringBuilder b = new StringBuilder();
        for (HttpObject o : written) {
            if (o instanceof HttpContent c) {
                b.append(c.content().toString(java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        return b.toString();
    }

    public int bodyBytes() {
        int n = 0;
        for (HttpObject o : written) {
            if (o instanceof HttpContent c) {
                n += c.content().readableBytes();
            }
        }
        return n;
    }

    /** True once the request's end (a LastHttpContent, or a whole request) was written. */
    public boolean requestEnded() {
        return !written.isEmpty() && written.get(written.size() - 1) instanceof io.netty.handler.codec.http.LastHttpContent;
    }

    public int flushes() {
        return flushes;
    }

    public boolean isReading() {
        return reading;
    }

    /** Null until released; then whether the connection went back to its pool. */
    public Boolean releasedReusable() {
        return releasedReusable;
    }

    /** The error the request reset the stream with, or null. */
    public Http2Error resetError() {
        return reset;
    }

    public boolean connectionClosed() {
        return connectionClosed;
    }

    public void releaseAll() {
        written.forEach(ReferenceCountUtil::release);
        written.clear();
    }

    // ---- UpstreamLease ----

    @Override
    public boolean isHttp2() {
        return http2;
    }

    @Override
    public SocketAddress remoteAddress() {
        return address.isIpAddress() ? new InetSocketAddress(address.toInetAddress(), address.port())
                : InetSocketAddress.createUnresolved(address.host(), address.port());
    }

    @Override
    public void write(HttpObject msg) {
        if (releasedReusable != null) {
            ReferenceCountUtil.release(msg);
            violations.add("written after release: " + msg);
            return;
        }
        written.add(msg);
    }

    @Override
    public void flush() {
        flushes++;
    }

    @Override
    public boolean isWritable() {
        return writable;
    }

    @Override
    public void pauseReading() {
        reading = false;
    }

    @Override
    public void resumeReading() {
        reading = true;
    }

    @Override
    public void reset(Http2Error error) {
        reset = error;
    }

    @Override
    public void release(boolean reusable) {
        if (releasedReusable == null) {
            releasedReusable = reusable;
        }
    }

    @Override
    public void closeConnection() {
        release(false);
        connectionClosed = true;
    }

    @Override
    public void tunnel(Consumer<Channel> splice) {
        violations.add("tunnel: no test here accepts an upgrade (WebSocketIT does, over sockets)");
    }
}
