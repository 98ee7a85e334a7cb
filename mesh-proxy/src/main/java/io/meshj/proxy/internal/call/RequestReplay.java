package io.meshj.proxy.internal.call;

import io.meshj.proxy.internal.route.RouteProfiles;
import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * A request on a retryable route, kept so that it can be sent again: Linkerd's retries, with its limits.
 *
 * <p>While the response has not started, a failed attempt (a response head the route classifies as
 * failure, a connect failure, the upstream failing or resetting before its head) may be given up and
 * the request routed (P2C picks anew) and sent again — if the service's retry budget allows it, the
 * request has attempts left ({@link #MAX_ATTEMPTS}), and the whole of it was sent and kept. The body is
 * kept as retained duplicates of the parts already streamed (no copy) up to {@link #MAX_REPLAY_BYTES},
 * Linkerd's limit; a larger body is not retried, and what was kept goes as soon as the limit is passed.
 * A retry is decided on the response head, so a gRPC status counts only when it is there (a
 * trailers-only response, which is how gRPC servers answer most failures).
 *
 * <p>Only the client's proxy retries (outbound), as Linkerd's: a server's proxy retrying too would
 * multiply every retry. One instance per retryable request; event loop only.
 */
final class RequestReplay {

    /**
     * Attempts of one request at most (two retries), as the embedded mode's gRPC retry policy: the budget
     * bounds retries across requests, this bounds what one request whose every attempt fails can cost.
     */
    static final int MAX_ATTEMPTS = 3;

    /** The largest request body kept to be sent again (Linkerd's: 64 KiB). */
    static final int MAX_REPLAY_BYTES = 64 * 1024;

    private ArrayDeque<HttpContent> parts;
    private long bytes;
    private boolean kept = true;
    /** The head went upstream as a duplicate (a FullHttpRequest), so the original is still ours to release. */
    private boolean headRetained;
    private int attempts = 1;

    /**
     * Whether an attempt that failed before its response started, with {@code head} (a head its route
     * calls failure) or without a response (null), may be followed by another: the whole request sent
     * so far is kept, it has attempts left, and the service's retry budget allows one more (spent).
     */
    boolean mayRetry(RequestRouting routing, HttpResponse head) {
        if (!kept || attempts >= MAX_ATTEMPTS) {
            return false;
        }
        if (head != null && !RouteProfiles.isFailure(routing.route(), head.status().code(),
                ResponseHeads.grpcStatusOf(head.headers()), null)) {
            return false;
        }
        return routing.tryRetry();
    }

    /**
     * Gives attempt {@code a} up at {@code now} for another: the balancer and the metrics learn that it
     * failed (with {@code head}, which is released, or with {@code error}), and its upstream is released —
     * a whole response's connection may be reused; one with more to come is reset or closed.
     */
    void giveUp(UpstreamAttempt a, HttpResponse head, String error, CallObserver observer, long now) {
        a.failed(now);
        if (head != null) {
            observer.attemptFailed(head.status().code(), ResponseHeads.grpcStatusOf(head.headers()), a.elapsed(now));
            boolean reusable = head instanceof LastHttpContent && (a.lease().isHttp2() || HttpUtil.isKeepAlive(head));
            ReferenceCountUtil.release(head);
            a.release(reusable);
        } else {
            observer.attemptFailed(error);
            a.release(false);
        }
        attempts++;
        observer.retrying();
    }

    /** Attempts after the first so far. */
    int retries() {
        return attempts - 1;
    }

    /**
     * The head to write upstream for {@code out} (the request head as rewritten for the upstream): a
     * FullHttpRequest (head and body in one) that is {@code request} itself goes as a retained duplicate,
     * so that the original is still whole for the next attempt.
     */
    HttpRequest head(HttpRequest request, HttpRequest out) {
        if (out instanceof FullHttpMessage full && out == request && (headRetained || keep(full.content().readableBytes()))) {
            headRetained = true;
            return (HttpRequest) full.retainedDuplicate();
        }
        return out;
    }

    /** Keeps a duplicate of a body part about to be written upstream, while the request may be sent again. */
    void keep(HttpContent content) {
        if (keep(content.content().readableBytes())) {
            if (parts == null) {
                parts = new ArrayDeque<>(4);
            }
            parts.add(content.retainedDuplicate());
        }
    }

    /** Whether {@code n} more bytes can be kept; past the limit, what was kept goes. */
    private boolean keep(int n) {
        if (!kept) {
            return false;
        }
        bytes += n;
        if (bytes > MAX_REPLAY_BYTES) {
            drop();
            return false;
        }
        return true;
    }

    /** Writes the body parts kept to a new attempt's upstream (as duplicates: they stay kept). */
    void writeTo(UpstreamLease lease) {
        if (parts != null) {
            for (HttpContent c : parts) {
                lease.write(c.retainedDuplicate());
            }
        }
    }

    /** No more attempts: releases the body parts kept for them. */
    void drop() {
        kept = false;
        if (parts != null) {
            HttpContent c;
            while ((c = parts.poll()) != null) {
                c.release();
            }
            parts = null;
        }
    }

    /**
     * The request ended: drops what was kept, and releases the original head if only duplicates of it
     * went upstream. True if it did (the head is then no longer the caller's to release).
     */
    boolean end(HttpRequest request) {
        drop();
        if (headRetained) {
            headRetained = false;
            ReferenceCountUtil.release(request);
            return true;
        }
        return false;
    }
}
