package io.meshj.proxy.internal.call;

import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.route.RouteProfiles;
import io.meshj.proxy.internal.route.Target;
import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * A request kept so that it can be sent again: Linkerd's retries, with its limits.
 *
 * <p>While the response has not started, a failed attempt may be given up and the request routed
 * again (P2C picks anew, avoiding the endpoint that failed) and sent again — if the service's retry
 * budget allows it, the request has attempts left ({@link #MAX_ATTEMPTS}), and the whole of it was sent
 * and kept. Two kinds of failure qualify:
 * <ul>
 *   <li>on a retryable route of the service's profile, any failure: a response head the route
 *       classifies as failure, a connect failure, the upstream failing or resetting before its head;
 *   <li>on any route, a failure after which sending the request again is safe whatever the application
 *       is ({@link #isSafeToRetry}): the request never reached an application (Envoy's
 *       {@code connect-failure} and {@code refused-stream}, which Istio retries by default), or it is
 *       idempotent and its upstream went away before answering (as Go's HTTP client retries). A crashed
 *       or restarted endpoint then costs its clients latency, not errors, while another can serve.
 * </ul>
 * The body is kept as retained duplicates of the parts already streamed (no copy) up to
 * {@link #MAX_REPLAY_BYTES}, Linkerd's limit; a larger body is not retried, and what was kept goes as
 * soon as the limit is passed. Requests of the second kind are bodyless, so only their head, which
 * each attempt writes anew, is kept. A retry is decided on the response head, so a gRPC status counts
 * only when it is there (a trailers-only response, which is how gRPC servers answer most failures).
 *
 * <p>Only the client's proxy retries (outbound), as Linkerd's: a server's proxy retrying too would
 * multiply every retry. One instance per request that may be sent again (made once the request is
 * routed on a retryable route, or at its first safe retry); event loop only.
 */
final class RequestReplay {

    /**
     * Attempts of one request at most (two retries), as the embedded mode's gRPC retry policy: the budget
     * bounds retries across requests, this bounds what one request whose every attempt fails can cost.
     */
    static final int MAX_ATTEMPTS = 3;

    /** The largest request body kept to be sent again (Linkerd's: 64 KiB). */
    static final int MAX_REPLAY_BYTES = 64 * 1024;

    /** What ends an attempt whose upstream reset its stream before answering (the metrics' {@code error}). */
    static final String UPSTREAM_RESET = "upstream_reset";

    /** The route is retryable: any failure it classifies so may be retried, not only {@link #isSafeToRetry safe} ones. */
    private final boolean routeRetries;
    private ArrayDeque<HttpContent> parts;
    private long bytes;
    private boolean kept = true;
    /** The head went upstream as a duplicate (a FullHttpRequest), so the original is still ours to release. */
    private boolean headRetained;
    private int attempts = 1;

    /**
     * @param routeRetries the request's route is retryable; else only {@link #isSafeToRetry safe}
     *     retries are made (of a bodyless request)
     */
    RequestReplay(boolean routeRetries) {
        this.routeRetries = routeRetries;
    }

    /**
     * Whether an attempt that failed before its response started, with {@code head} (a head its route
     * calls failure, or a server proxy's answer) or without a response (null), may be followed by
     * another: the failure is {@code safe} to retry or the route retries it, the whole request sent so
     * far is kept, it has attempts left, and the service's retry budget allows one more (spent).
     */
    boolean mayRetry(RequestRouting routing, HttpResponse head, boolean safe) {
        if (!kept || attempts >= MAX_ATTEMPTS) {
            return false;
        }
        if (!safe && (!routeRetries || head != null && !RouteProfiles.isFailure(routing.route(), head.status().code(),
                ResponseHeads.grpcStatusOf(head.headers()), null))) {
            return false;
        }
        return routing.tryRetry();
    }

    /**
     * Whether a bodyless request whose attempt at {@code target} failed before its response started,
     * with {@code head} or {@code error} (a {@link ProxyError#label}, or {@code upstream_reset}), may be
     * sent again without a retryable route saying so:
     * <ul>
     *   <li>it never reached an application, so it may go elsewhere whatever its method: this proxy
     *       could not connect (a refused connection, a failed mTLS handshake, a timeout), or the server's
     *       proxy answered so itself ({@link ProxyError#unprocessed}: it could not connect to its
     *       application, or is shutting down or overloaded). Only when the service has another endpoint:
     *       the same one would most likely fail the same way again (a timeout taking its time again);
     *   <li>it is {@link #isIdempotent idempotent}, and its upstream went away without a byte of answer
     *       (closed or reset the connection or stream), or the server's proxy says its application did:
     *       the request may have been processed, and processing it once more does no harm. The same
     *       endpoint will do if there is no other: a connection the server closed while the request
     *       was on its way is the classic case, and the retry takes a new one.
     * </ul>
     * A server proxy's answer is recognised by its {@code meshj-proxy-error}, trusted only from a meshj
     * proxy (a meshed endpoint's), which never passes on one an application set. Only endpoints the
     * balancer picked qualify: a name dialed as written has nowhere else to go.
     */
    static boolean isSafeToRetry(HttpRequest request, Target target, HttpResponse head, String error,
            RequestRouting routing) {
        if (target.pick() == null) {
            return false;
        }
        boolean unprocessed;
        boolean brokenExchange;
        if (head == null) {
            unprocessed = ProxyError.CONNECT_FAILED.label().equals(error);
            brokenExchange = ProxyError.UPSTREAM_FAILED.label().equals(error) || UPSTREAM_RESET.equals(error);
        } else {
            int status = head.status().code();
            if (status != 502 && status != 503 || !target.viaProxy()) {
                return false;
            }
            ProxyError answered = ProxyError.ofHeader(head.headers().get(ProxyErrorResponses.PROXY_ERROR_HEADER));
            unprocessed = answered != null && answered.unprocessed();
            brokenExchange = answered == ProxyError.UPSTREAM_FAILED;
        }
        return unprocessed && routing.hasOtherEndpoint(target) || brokenExchange && isIdempotent(request.method());
    }

    /**
     * GET, HEAD, OPTIONS and TRACE: the idempotent methods (RFC 9110 §9.2.2) that are also safe, whose
     * requests Go's HTTP client sends again after a connection failed under them. PUT and DELETE are
     * idempotent by definition but not always by implementation, so they are not retried without a
     * retryable route.
     */
    static boolean isIdempotent(HttpMethod method) {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) || HttpMethod.OPTIONS.equals(method)
                || HttpMethod.TRACE.equals(method);
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
