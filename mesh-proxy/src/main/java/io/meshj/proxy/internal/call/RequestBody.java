package io.meshj.proxy.internal.call;

import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;

/**
 * The request body on its way upstream, with backpressure. Parts that arrive before the attempt has an
 * upstream wait here — at most one read's worth: reading the client stops as soon as a request starts
 * and resumes once its upstream is ready. Then they stream, each written on as it arrives, and the
 * client is read only while the upstream takes writes: a client faster than its upstream waits in its
 * own window or socket buffer, not in the proxy's memory. While the request may be sent again, every
 * part sent is kept by its {@link RequestReplay} too.
 *
 * <p>Event loop only.
 */
final class RequestBody {

    private final Downstream down;
    private ArrayDeque<HttpContent> pending;
    private RequestReplay replay;
    private boolean complete;

    /** @param complete the head carries the whole request: no part is to come */
    RequestBody(Downstream down, boolean complete) {
        this.down = down;
        this.complete = complete;
    }

    /** True once the request's end was read. */
    boolean isComplete() {
        return complete;
    }

    /** Keeps every part sent from now on in {@code r}, for another attempt. */
    void keepFor(RequestReplay r) {
        this.replay = r;
    }

    /**
     * A part (or the end, with trailers) arrived: sent to {@code upstream}, or held until there is one
     * (null). Takes ownership of {@code content}.
     */
    void onContent(HttpContent content, UpstreamLease upstream) {
        if (complete) {
            content.release(); // what a client sends after its request's end belongs to no request
            return;
        }
        if (content instanceof LastHttpContent) {
            complete = true;
        }
        if (upstream == null) {
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            pending.add(content);
            return;
        }
        send(content, upstream);
        if (!complete && !upstream.isWritable()) {
            down.pauseReading();
        }
    }

    /**
     * An attempt's upstream has the request head: the body so far follows (for another attempt, what
     * was kept of it first), and the client is read again while the upstream takes writes (else when it
     * becomes writable, {@link #onUpstreamWritabilityChanged}).
     */
    void streamTo(UpstreamLease upstream, boolean again) {
        if (again) {
            replay.writeTo(upstream);
        }
        if (pending != null) {
            HttpContent c;
            while ((c = pending.poll()) != null) {
                send(c, upstream);
            }
        }
        upstream.flush();
        upstream.resumeReading();
        if (!complete && upstream.isWritable()) {
            down.resumeReading();
        }
    }

    private void send(HttpContent content, UpstreamLease upstream) {
        if (replay != null) {
            replay.keep(content);
        }
        upstream.write(content);
    }

    void onUpstreamWritabilityChanged(boolean writable) {
        if (!complete) {
            if (writable) {
                down.resumeReading();
            } else {
                down.pauseReading();
            }
        }
    }

    /** The request ended: parts still held go. */
    void release() {
        if (pending != null) {
            HttpContent c;
            while ((c = pending.poll()) != null) {
                c.release();
            }
        }
    }
}
