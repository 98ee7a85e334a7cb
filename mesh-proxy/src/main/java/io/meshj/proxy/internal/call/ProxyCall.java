package io.meshj.proxy.internal.call;

import io.meshj.core.profile.Route;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.route.Target;
import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;

/**
 * One request on its way through the proxy, from a {@link Downstream} (an HTTP/1 connection or an
 * HTTP/2 stream) to an upstream and the response back. This class sequences the steps of a request's
 * life and relays its bodies; each step is a class of its own, in the order a request meets them:
 * {@link RequestRouting} (where it goes), {@link UpstreamAttempt} (one try at one target; several with
 * {@link RequestReplay}, the retries), {@link RequestBody} (the request's relay), {@link CallObserver}
 * (metrics and tap), {@link RequestHeads} and {@link ResponseHeads} (what crosses each hop), {@link CallTimeout}.
 *
 * <p>Bodies stream: each part is written on as it arrives and nothing is aggregated. Backpressure is
 * end to end: a side stops reading while the other side is not writable (for HTTP/2 streams,
 * writability follows the peer's flow-control window, and a stream that is not read returns no window),
 * so a slow reader holds data in the kernel and in the peers' windows, not in the proxy's memory.
 * The only buffers are the request parts that arrive while the upstream is being connected, bounded by
 * one read (reading stops as soon as a request starts and resumes once its upstream is ready), and the
 * body a retryable request keeps until its response starts ({@link RequestReplay#MAX_REPLAY_BYTES}).
 *
 * <p>Every outcome is an answer: routing, connect and timeout failures before the response started are
 * error responses ({@link ProxyErrorResponses}); failures after it are resets (HTTP/2) or a closed
 * connection (HTTP/1); resets propagate in both directions with their error codes.
 *
 * <p>Threading: everything runs on the downstream connection's event loop, which is also the
 * upstream's: upstream connections, HTTP/1 and shared HTTP/2 alike, are pooled per event loop.
 */
public final class ProxyCall implements RequestRouting.Listener {

    /** How many refused streams a request is sent again after (each time on a newer stream). */
    private static final int MAX_REFUSALS = 3;

    private final ProxyContext context;
    private final Downstream down;
    private final HttpRequest request;
    private final RequestRouting routing;
    private final CallObserver observer;
    private final boolean grpc;
    private final boolean upgradeRequest;
    private final boolean clientKeepAlive;
    private final boolean expectsBody;
    /** The request head carries the whole request: a FullHttpRequest, or an HTTP/1 request without body. */
    private final boolean bodyless;
    private final RequestBody body;
    /** The attempt under way, or null (not routed yet, or between a failed attempt and the next). */
    private UpstreamAttempt attempt;
    private CallTimeout timeout;
    /** The request kept for another attempt, on a retryable route; else null. */
    private RequestReplay replay;
    /** When the next attempt started: the request's head for the first, the retry's decision for others. */
    private long attemptStartNanos;
    private int refusals;
    private boolean responseStarted;
    private boolean responseComplete;
    private boolean finished;
    /** What ended the exchange before its response did, for the metrics; null while nothing has. */
    private String failure;

    public ProxyCall(ProxyContext context, Downstream down, HttpRequest request) {
        this.context = context;
        this.down = down;
        this.request = request;
        this.grpc = ProxyErrorResponses.isGrpc(request);
        this.upgradeRequest = !down.isHttp2() && HopByHop.isUpgrade(request.headers());
        this.clientKeepAlive = down.isHttp2() || HttpUtil.isKeepAlive(request);
        // An HTTP/1 request without Content-Length or chunked encoding has no body (RFC 9112 §6.3), so
        // answering it early leaves the connection in sync; HTTP/2 ends the stream explicitly.
        this.expectsBody = down.isHttp2() || HttpUtil.isTransferEncodingChunked(request)
                || HttpUtil.getContentLength(request, 0L) > 0;
        this.bodyless = request instanceof LastHttpContent || !expectsBody;
        // A FullHttpRequest carries its (empty or whole) body; an HTTP/1 request without a body is
        // complete with its head, and goes upstream as one message, so that an HTTP/2 upstream gets a
        // single HEADERS frame with END_STREAM. (The decoder's empty LastHttpContent that follows is the
        // downstream handler's to drop.)
        this.body = new RequestBody(down, bodyless);
        this.routing = new RequestRouting(context, down, request);
        this.observer = new CallObserver(context, down, request, routing);
        this.attemptStartNanos = observer.startNanos();
    }

    // ---- the client's side ----

    public void start() {
        context.lifecycle().callStarted();
        if (down.isHttp2() || expectsBody) {
            // Hold the body back until there is an upstream to stream it to. (A bodyless HTTP/1 request
            // leaves reading on: toggling it costs two epoll_ctl calls per request, and the connection
            // queues any pipelined request behind this one itself.)
            down.pauseReading();
        }
        if (routing.rejection() != null) {
            respond(routing.rejection(), routing.rejectionDetail());
            return;
        }
        if (context.lifecycle().isOverloaded()) {
            // Shed before anything is kept for the request: a 503 (UNAVAILABLE for gRPC) clients retry elsewhere.
            respond(ProxyError.OVERLOADED, "the proxy's heap is too full for new requests");
            return;
        }
        timeout = CallTimeout.ofRequest(this, down.eventLoop(), context.config().requestTimeout());
        if (bodyless) {
            onRequestSent();
        }
        routing.route(this);
    }

    /**
     * The whole request is here: from now on, unless an explicit timeout runs (the listener's, or one
     * its route sets later), it waits for its response head for the default time at most. Not for gRPC
     * (clients set deadlines, and a server-streaming response may rightly start late) nor upgrades.
     */
    private void onRequestSent() {
        long limit = context.config().responseHeadTimeout().toNanos();
        if (limit > 0 && !grpc && !upgradeRequest && !responseStarted && !finished
                && (timeout == null || !timeout.isRunning())) {
            timeout().limitByDefault(limit);
        }
    }

    /** A body part (or the end, with trailers) of the request. Takes ownership of {@code content}. */
    public void onRequestContent(HttpContent content) {
        if (finished) {
            content.release();
            return;
        }
        body.onContent(content, lease());
        if (body.isComplete()) {
            onRequestSent();
        }
    }

    public void onDownstreamReadComplete() {
        UpstreamLease lease = lease();
        if (lease != null && !finished) {
            lease.flush();
        }
    }

    public void onDownstreamWritabilityChanged(boolean writable) {
        UpstreamLease lease = lease();
        if (lease != null && !finished && !responseComplete) {
            if (writable) {
                lease.resumeReading();
            } else {
                lease.pauseReading();
            }
        }
    }

    /** The client reset its stream (HTTP/2) or closed its connection: abandon the upstream too. */
    public void onDownstreamGone(Http2Error error) {
        if (finished) {
            return;
        }
        if (!responseStarted && attempt != null) {
            attempt.cancelled();
        }
        failure = CallObserver.CLIENT_GONE;
        finish(false);
        if (attempt != null) {
            // An HTTP/2 stream is reset with the client's reason; an HTTP/1 connection mid-exchange is closed.
            attempt.abandon(error);
        }
    }

    public boolean isFinished() {
        return finished;
    }

    /** True once the response (or the proxy's own answer) started. */
    public boolean hasResponded() {
        return responseStarted;
    }

    /** True while body parts of the request are still to be read (an HTTP/1 request that has a body). */
    public boolean readsRequestBody() {
        return expectsBody && !body.isComplete();
    }

    long now() {
        return observer.now();
    }

    /** The upstream of the attempt under way, once it has one: request parts go there. */
    private UpstreamLease lease() {
        return attempt == null ? null : attempt.lease();
    }

    // ---- routing, attempts and retries ----

    @Override
    public void onRouted(Target t) {
        if (finished) {
            t.onCancel();
            return;
        }
        if (replay != null && replay.retries() > 0) {
            observer.retryRouted(t);
        } else {
            Route route = routing.matchRoute(request);
            observer.routed(t);
            if (route != null) {
                if (route.isRetryable() && !upgradeRequest && !context.isInbound()) {
                    replay = new RequestReplay(true);
                    body.keepFor(replay);
                }
                if (route.timeoutNanos() > 0) {
                    timeout().limit(route.timeoutNanos(), observer.elapsed(now()), route);
                }
            }
        }
        attempt = new UpstreamAttempt(this, context, down, request, t, upgradeRequest, bodyless, attemptStartNanos);
        attempt.start();
    }

    @Override
    public void onRouteFailed(ProxyError error, String detail) {
        respond(error, detail);
    }

    /** {@code a} has its upstream: the request goes out, with what arrived of its body meanwhile. */
    void onLeased(UpstreamAttempt a, UpstreamLease l) {
        HttpRequest head = RequestHeads.forUpstream(request, bodyless, down.isHttp2(), upgradeRequest, routing,
                a.target(), l.isHttp2());
        l.write(replay == null ? head : replay.head(request, head));
        body.streamTo(l, replay != null && replay.retries() > 0);
    }

    /** Counts a refused stream about to be sent again; false once the request had its few resends. */
    boolean mayResendRefused() {
        return refusals++ < MAX_REFUSALS;
    }

    void onLoop(UpstreamAttempt a) {
        respond(ProxyError.LOOP_DETECTED, a.target().address().toString());
    }

    /**
     * Whether {@code a}, which failed before its response started (with {@code head}, a head its route
     * calls failure or a server proxy's own answer, or with {@code error}), is given up for another
     * attempt: a request on a retryable route, or a bodyless one whose failure is safe to retry
     * ({@link RequestReplay#isSafeToRetry}), kept whole, with attempts left and the service's retry
     * budget allowing it. Outbound only.
     */
    private boolean retry(UpstreamAttempt a, HttpResponse head, String error) {
        if (finished || responseStarted || !body.isComplete() || context.isInbound()) {
            return false;
        }
        boolean safe = bodyless && !upgradeRequest && RequestReplay.isSafeToRetry(request, a.target(), head, error, routing);
        if (replay == null) {
            if (!safe) {
                return false;
            }
            // Bodyless: the head, which every attempt writes anew, is all there is to keep.
            replay = new RequestReplay(false);
            body.keepFor(replay);
        }
        if (!replay.mayRetry(routing, head, safe)) {
            return false;
        }
        attemptStartNanos = now();
        replay.giveUp(a, head, error, observer, attemptStartNanos);
        attempt = null; // its outcome is told; the next attempt is routed anew, elsewhere if it can be
        routing.reroute(this, a.target());
        return true;
    }

    // ---- the upstream's side ----

    void onInformational(HttpResponse response) {
        // 100 Continue and friends: passed on as they come; the final response is still ahead.
        down.write(ResponseHeads.informational(response));
        down.flush();
    }

    /** A final response head; false when it was given up for another attempt (and released). */
    boolean onResponseHead(UpstreamAttempt a, HttpResponse response) {
        if (retry(a, response, null)) {
            return false;
        }
        if (timeout != null) {
            timeout.cancel();
        }
        responseStarted = true;
        if (replay != null) {
            replay.drop();
        }
        long now = now();
        a.responded(response.status().code(), now);
        if (context.isInbound()) {
            // Only a proxy's own answers say meshj-proxy-error: a client's proxy may act on what ours
            // say (retry a request our answer says never reached the application), so one the
            // application passed on from elsewhere (its own proxy's answer to a call it made) must not
            // look like ours.
            response.headers().remove(ProxyErrorResponses.PROXY_ERROR_HEADER);
        }
        ResponseHeads.forClient(response, down.isHttp2(), !clientKeepAlive || context.lifecycle().isDraining(),
                request.method());
        observer.responseHead(response.status().code(), response.headers(), now);
        if (!(response instanceof FullHttpResponse)) {
            down.write(response);
            throttle(a);
        }
        // (A FullHttpResponse is its own end, written as one by onResponseContent.)
        return true;
    }

    /** After a part of the response went to the client: its upstream waits while the client takes no more. */
    private void throttle(UpstreamAttempt a) {
        if (!down.isWritable()) {
            a.lease().pauseReading();
        }
    }

    /** A part of the response body, or its end (with trailers): relayed. */
    void onResponseContent(HttpContent content) {
        observer.responseBytes(content.content().readableBytes());
        if (content instanceof LastHttpContent last) {
            // Recorded before the end goes out: whoever saw the response may read the metrics next.
            observer.trailers(last.trailingHeaders());
            observer.record(null);
            ChannelFuture lastWrite = down.writeWithFuture(content);
            responseComplete = true;
            down.flush();
            boolean requestComplete = body.isComplete();
            boolean reusable = requestComplete && attempt.keepAlive();
            finish(true);
            attempt.release(reusable);
            down.callEnded(this, down.isHttp2() || expectsBody ? requestComplete : true,
                    !clientKeepAlive || context.lifecycle().isDraining(), lastWrite);
            return;
        }
        down.write(content);
        throttle(attempt);
    }

    /**
     * A 101 from the upstream: when the client asked for that upgrade over HTTP/1, it gets the 101 and
     * both connections relay bytes from now on (WebSocket). False when nobody asked for it.
     */
    boolean onSwitchingProtocols(UpstreamAttempt a, HttpResponse response) {
        if (!upgradeRequest || a.lease().isHttp2()) {
            return false;
        }
        responseStarted = true;
        long now = now();
        FullHttpResponse switching = ResponseHeads.switchingProtocols(response);
        observer.responseHead(switching.status().code(), switching.headers(), now);
        a.succeeded(now);
        finish(true);
        a.detach();
        down.switchProtocols(switching, a.lease());
        return true;
    }

    void onUpstreamReadComplete() {
        if (!finished) {
            down.flush();
        }
    }

    void onUpstreamWritabilityChanged(boolean writable) {
        if (!finished) {
            body.onUpstreamWritabilityChanged(writable);
        }
    }

    void onUpstreamReset(UpstreamAttempt a, Http2Error error) {
        if (!responseStarted && retry(a, null, RequestReplay.UPSTREAM_RESET)) {
            return;
        }
        failure = RequestReplay.UPSTREAM_RESET;
        if (!down.isHttp2()) {
            onUpstreamFailed(a, ProxyError.UPSTREAM_FAILED, "stream reset: " + error);
            return;
        }
        if (!responseStarted) {
            a.failed(now());
        }
        abort(a, error);
    }

    /** The upstream refused the request's stream, and it cannot be sent again. */
    void onUpstreamRefused(UpstreamAttempt a) {
        if (!down.isHttp2() || responseStarted) {
            onUpstreamFailed(a, ProxyError.UPSTREAM_FAILED, "stream refused");
            return;
        }
        // The upstream never processed it: tell the client so, and it may retry safely.
        failure = "upstream_refused";
        a.cancelled();
        abort(a, Http2Error.REFUSED_STREAM);
    }

    /** {@code a} failed: no connection, or the upstream broke the exchange ({@code detail} says how). */
    void onUpstreamFailed(UpstreamAttempt a, ProxyError error, String detail) {
        if (finished || !responseStarted && retry(a, null, error.label())) {
            return;
        }
        failure = error.label();
        if (!responseStarted) {
            a.failed(now());
            respond(error, detail);
            return;
        }
        // Mid-response: the client cannot be told with a status any more; cut the exchange short.
        context.reportError(error, routing.authorityLabel(), detail);
        abort(a, Http2Error.INTERNAL_ERROR);
    }

    private CallTimeout timeout() {
        if (timeout == null) {
            timeout = new CallTimeout(this, down.eventLoop());
        }
        return timeout;
    }

    void onTimeout() {
        if (finished || responseStarted) {
            return;
        }
        if (attempt != null) {
            attempt.failed(now());
        }
        respond(ProxyError.TIMEOUT, timeout.describe());
    }

    // ---- endings ----

    /** Answers the request with an error of the proxy's own, if the response has not started. */
    private void respond(ProxyError error, String detail) {
        if (finished) {
            return;
        }
        context.reportError(error, routing.authorityLabel(), detail);
        if (responseStarted) {
            abort(attempt, Http2Error.INTERNAL_ERROR);
            return;
        }
        responseStarted = true;
        responseComplete = true;
        FullHttpResponse response = ProxyErrorResponses.of(error, detail, grpc, down.alloc());
        observer.proxyAnswered(response.status().code(), response.headers(), response.content().readableBytes());
        failure = null; // answered: the status says what went wrong
        observer.record(null); // before the answer goes out, as for forwarded responses
        boolean close = error.closesConnection() || !clientKeepAlive || context.lifecycle().isDraining();
        boolean requestComplete = body.isComplete();
        boolean inSync = requestComplete || !expectsBody;
        if (!down.isHttp2() && (close || !inSync)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture written = down.writeWithFuture(response);
        down.flush();
        finish(false);
        if (attempt != null) {
            attempt.release(false);
        }
        down.callEnded(this, down.isHttp2() ? requestComplete : inSync, close, written);
    }

    /** Cuts the exchange short: its upstream goes ({@code a}, if any), and the client is reset or disconnected. */
    private void abort(UpstreamAttempt a, Http2Error error) {
        finish(false);
        if (a != null) {
            a.release(false);
        }
        down.abort(error);
    }

    private void finish(boolean normally) {
        if (finished) {
            return;
        }
        finished = true;
        observer.record(normally || responseComplete ? null : failure != null ? failure : "aborted");
        if (timeout != null) {
            timeout.cancel();
        }
        context.lifecycle().callEnded();
        body.release();
        boolean headReleased = replay != null && replay.end(request);
        if (!headReleased && !normally && lease() == null) {
            ReferenceCountUtil.release(request); // it never went upstream
        }
    }
}
