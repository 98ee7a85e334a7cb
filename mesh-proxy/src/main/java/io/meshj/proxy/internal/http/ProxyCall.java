package io.meshj.proxy.internal.http;

import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.InvalidAuthorityException;
import io.meshj.core.time.Durations;
import io.meshj.core.profile.Route;
import io.meshj.metrics.RouteMetrics;
import io.meshj.proxy.internal.route.RouteException;
import io.meshj.proxy.internal.route.RouteProfiles;
import io.meshj.proxy.internal.route.Target;
import io.meshj.proxy.internal.transport.OriginalDestination;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.metrics.HttpMetrics;
import io.meshj.proxy.internal.ProxyMetrics;
import io.meshj.proxy.internal.tcp.TcpRelay;
import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.meshj.proxy.internal.upstream.UpstreamListener;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One request on its way through the proxy: from a {@link Downstream} (an HTTP/1 connection or an
 * HTTP/2 stream) through routing and a leased upstream, and the response back.
 *
 * <p>Bodies stream: each part is written on as it arrives and nothing is aggregated. Backpressure is
 * end to end: a side stops reading while the other side is not writable (for HTTP/2 streams,
 * writability follows the peer's flow-control window, and a stream that is not read returns no window),
 * so a slow reader holds data in the kernel and in the peers' windows, not in the proxy's memory.
 * The only buffers are the request parts that arrive while the upstream is being connected, bounded by
 * one read (reading stops as soon as a request starts and resumes once its upstream is ready), and the
 * body of a request on a retryable route, kept until its response starts, bounded by
 * {@link #MAX_REPLAY_BYTES}.
 *
 * <p>Retries (a route the service profile marks retryable, as Linkerd's): while the response has not
 * started, a failed attempt (a response head the route classifies as failure, a connect failure, or the
 * upstream failing or resetting before its head) is given up, and the request is routed again (P2C picks
 * anew) and sent again, if the service's retry budget allows it, the request has attempts left
 * ({@link #MAX_ATTEMPTS}) and the whole of it was sent and kept. To be sent again a request's body is kept (retained duplicates of the parts already streamed,
 * no copy) up to {@link #MAX_REPLAY_BYTES}, Linkerd's limit; a larger body is not retried. The
 * decision is made on the response head, so a gRPC status counts only when it is there (a
 * trailers-only response, which is how gRPC servers answer most failures). The route's timeout covers
 * every attempt.
 *
 * <p>Every outcome is an answer: routing, connect and timeout failures before the response started are
 * error responses ({@link ProxyErrorResponses}); failures after it are resets (HTTP/2) or a closed
 * connection (HTTP/1); resets propagate in both directions with their error codes.
 *
 * <p>Threading: everything runs on the downstream connection's event loop, which is also the
 * upstream's: upstream connections, HTTP/1 and shared HTTP/2 alike, are pooled per event loop.
 */
final class ProxyCall implements UpstreamListener {

    /** How many refused streams a request is retried after (each retry goes to a newer stream). */
    private static final int MAX_REFUSALS = 3;

    /**
     * Attempts of one request at most (two retries), as the embedded mode's gRPC retry policy: the budget
     * bounds retries across requests, this bounds what one request whose every attempt fails can cost.
     */
    static final int MAX_ATTEMPTS = 3;

    /** The largest request body kept to be sent again if a retryable route's attempt fails (Linkerd's: 64 KiB). */
    static final int MAX_REPLAY_BYTES = 64 * 1024;

    /** What ended a request whose client went away before it did: not counted as the destination's failure. */
    private static final String DOWNSTREAM_GONE = "downstream_gone";

    /** How long a request waits for its destination's first profile before it goes on without routes. */
    private static final long PROFILE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ProxyContext context;
    private final Downstream down;
    private final HttpRequest request;
    private final boolean grpc;
    private final boolean upgradeRequest;
    private final boolean clientKeepAlive;
    private final boolean expectsBody;
    /** The request head carries the whole request: a FullHttpRequest, or an HTTP/1 request without body. */
    private final boolean bodyless;
    private final long startNanos = System.nanoTime();
    private final EventLoop loop;
    // Where to route it, kept for retries.
    private Authority authority;
    private Authority endpointHint;
    private Authority originalDestination;

    private Target target;
    /** Inbound: the verified identity of the meshed client, or null for plaintext. */
    private io.meshj.tls.WorkloadIdentity peerIdentity;
    // Metrics: the series of this request (once its labels are known), and what its response was.
    private HttpMetrics.Route route;
    private String authorityLabel;
    private int responseStatus;
    private int grpcStatus = -1;
    private long responseNanos = -1;
    private String failure;
    private boolean recorded;
    // Service profile: the profile followed for this request's destination, the route it matched (once
    // routed) and that route's series.
    private RouteProfiles.Profile profile;
    private Route rt;
    private RouteMetrics.Series rtSeries;
    /** What the running timeout allows, for its message. */
    private long timeoutNanos;
    private boolean profileWaited;
    // Tap: the request's call to its subscribers (NONE unless tapped), and what its end event reports.
    private io.meshj.core.tap.TapCall tap = io.meshj.core.tap.TapCall.NONE;
    private io.meshj.core.tap.TapRequest tapRequest;
    private boolean tapChecked;
    private long tapResponseBytes;
    private UpstreamLease lease;
    private ArrayDeque<HttpContent> pending;
    private ScheduledFuture<?> timeout;
    private boolean requestComplete;
    private boolean responseStarted;
    private boolean responseComplete;
    private boolean upstreamKeepAlive = true;
    private boolean skipInformationalEnd;
    /** Times the upstream refused this request's stream; it was sent again after each. */
    private int refusals;
    // Retries: whether the request may still be sent again as far as its body goes, the body parts sent
    // so far (retained duplicates), their size, and whether the head written upstream was a duplicate
    // (a FullHttpRequest), leaving the original ours to release.
    private boolean replayable;
    private ArrayDeque<HttpContent> replay;
    private long replayBytes;
    private boolean headRetained;
    private int retries;
    private long attemptStartNanos = startNanos;
    private boolean finished;
    private ChannelFuture lastWrite;

    ProxyCall(ProxyContext context, Downstream down, HttpRequest request) {
        this.context = context;
        this.down = down;
        this.request = request;
        this.loop = down.eventLoop();
        this.grpc = ProxyErrorResponses.isGrpc(request);
        this.upgradeRequest = !down.isHttp2() && HopByHop.isUpgrade(request.headers());
        this.clientKeepAlive = down.isHttp2() || HttpUtil.isKeepAlive(request);
        // An HTTP/1 request without Content-Length or chunked encoding has no body (RFC 9112 §6.3), so
        // answering it early leaves the connection in sync; HTTP/2 ends the stream explicitly.
        this.expectsBody = down.isHttp2() || HttpUtil.isTransferEncodingChunked(request)
                || HttpUtil.getContentLength(request, 0L) > 0;
        this.bodyless = request instanceof LastHttpContent || !expectsBody;
        if (request instanceof LastHttpContent) {
            requestComplete = true; // a FullHttpRequest: headers and (empty or whole) body in one message
        } else if (!expectsBody) {
            // An HTTP/1 request without a body is complete with its head: forward it as one message, so
            // an HTTP/2 upstream gets a single HEADERS frame with END_STREAM (not HEADERS and an empty
            // DATA frame in two writes). The decoder's empty LastHttpContent that follows is the
            // downstream handler's to drop.
            requestComplete = true;
        }
    }

    // ---- downstream events ----

    void start() {
        context.inFlight().incrementAndGet();
        if (down.isHttp2() || expectsBody) {
            // Hold the body back until there is an upstream to stream it to. (A bodyless HTTP/1 request
            // leaves reading on: toggling it costs two epoll_ctl calls per request, and the connection
            // queues any pipelined request behind this one itself.)
            down.pauseReading();
        }
        if (HttpMethod.CONNECT.equals(request.method())) {
            // A tunnel through the proxy would bypass routing and leave a pooled connection in raw mode.
            respond(ProxyError.METHOD_NOT_SUPPORTED, "CONNECT");
            return;
        }
        try {
            authority = authorityOf(request);
        } catch (InvalidAuthorityException e) {
            respond(ProxyError.BAD_REQUEST, e.getMessage());
            return;
        }
        authorityLabel = authority == null ? null : authority.toString();
        // Where the application connected, when iptables redirected it here: outbound, what a name no
        // service claims (or no name) goes to; inbound, which application port.
        originalDestination = OriginalDestination.get(down.connection());
        if (authority == null && originalDestination == null && context.direction() == Direction.OUTBOUND) {
            respond(ProxyError.NO_AUTHORITY, null);
            return;
        }
        if (context.direction() == Direction.INBOUND) {
            peerIdentity = ProxyTls.peerIdentity(down.connection()).orElse(null);
            String dst = request.headers().get(HopByHop.DST_ADDR);
            if (dst != null) {
                try {
                    endpointHint = AuthorityCache.parse(dst);
                } catch (InvalidAuthorityException e) {
                    respond(ProxyError.BAD_REQUEST, HopByHop.DST_ADDR + ": " + e.getMessage());
                    return;
                }
            }
        }
        context.config().requestTimeout().ifPresent(t -> scheduleTimeout(t.toNanos()));
        // Follow the destination's profile from now, alongside endpoint discovery: both are usually
        // known by the time a target is picked.
        boolean inbound = context.direction() == Direction.INBOUND;
        // Inbound, the name a meshed client's proxy resolved is the service's (Host may be a short name
        // of another namespace); a plaintext client could claim any, so its Host is all there is.
        String canonical = inbound && peerIdentity != null ? request.headers().get(HopByHop.DST_CANONICAL) : null;
        profile = context.profiles().lookup(inbound, canonical != null ? canonical : authorityLabel);
        context.router().route(authority, endpointHint, originalDestination, loop).addListener(this::onRouted);
    }

    /** A body part (or the end, with trailers) of the request. Takes ownership of {@code content}. */
    void onRequestContent(HttpContent content) {
        if (finished || requestComplete) {
            content.release();
            return;
        }
        if (content instanceof LastHttpContent) {
            requestComplete = true;
        }
        if (lease == null) {
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            pending.add(content);
            return;
        }
        sendBody(content);
        if (!requestComplete && !lease.isWritable()) {
            down.pauseReading();
        }
    }

    void onDownstreamReadComplete() {
        if (lease != null && !finished) {
            lease.flush();
        }
    }

    void onDownstreamWritabilityChanged(boolean writable) {
        if (lease != null && !finished && !responseComplete) {
            if (writable) {
                lease.resumeReading();
            } else {
                lease.pauseReading();
            }
        }
    }

    /** The client reset its stream (HTTP/2) or closed its connection: abandon the upstream too. */
    void onDownstreamGone(Http2Error error) {
        if (finished) {
            return;
        }
        if (!responseStarted && target != null) {
            target.onCancel();
        }
        failure = DOWNSTREAM_GONE;
        finish(false);
        if (lease != null) {
            if (error != Http2Error.CANCEL) {
                // Pass the client's reason on (releasing the stream alone would say CANCEL).
                lease.reset(error);
            }
            // Releasing an open HTTP/2 stream sends RST_STREAM(CANCEL); an HTTP/1 connection mid-exchange is closed.
            lease.release(false);
        }
    }

    // ---- routing and connecting ----

    private void onRouted(Future<? super Target> f) {
        Target t = routed(f);
        if (t == null) {
            return;
        }
        if (context.direction() == Direction.INBOUND && peerIdentity == null
                && context.config().requireIdentityPorts().contains(t.address().port())) {
            respond(ProxyError.IDENTITY_REQUIRED, "port " + t.address().port() + " accepts only mTLS from meshed workloads");
            return;
        }
        if (profile != null && profile.shouldWait() && !profileWaited) {
            // The first requests to a destination wait for its profile (the default one if the controller
            // fails), as Linkerd's do, so that their route is known; but not for long, since no request
            // timeout need be configured: past PROFILE_WAIT they, and later ones, take the default route.
            profileWaited = true;
            RouteProfiles.Profile p = profile;
            ScheduledFuture<?> giveUp = loop.schedule(() -> {
                p.stopWaiting();
                onRouted(f);
            }, PROFILE_WAIT_NANOS, TimeUnit.NANOSECONDS);
            profile.ready().whenComplete((v, e) -> loop.execute(() -> {
                if (giveUp.cancel(false)) {
                    onRouted(f);
                }
            }));
            return;
        }
        target = t;
        route().request();
        matchRoute();
        startTap();
        acquire(t);
    }

    /** The target routing picked, or null when it failed (then answered) or the request ended meanwhile. */
    private Target routed(Future<? super Target> f) {
        if (!f.isSuccess()) {
            if (f.cause() instanceof RouteException re) {
                respond(re.error(), re.getMessage());
            } else {
                respond(ProxyError.CONNECT_FAILED, String.valueOf(f.cause()));
            }
            return null;
        }
        Target t = (Target) f.getNow();
        if (finished) {
            t.onCancel();
            return null;
        }
        return t;
    }

    /** Leases an upstream for {@code t}: a pooled HTTP/1 connection or a stream of a shared HTTP/2 one. */
    private void acquire(Target t) {
        context.connector().acquire(loop, t.address(), t.identity(), upstreamSpeaksHttp2(t), this, connectionMeter(context, t))
                .addListener(this::onLeased);
    }

    /** Matches the request to a route of its profile: counts it there and applies the route's timeout. */
    private void matchRoute() {
        if (profile == null) {
            return;
        }
        rt = profile.route(request.method().name(), request.uri());
        rtSeries = profile.series(rt);
        rtSeries.request();
        rtSeries.actualRequest();
        profile.deposit();
        // Outbound only, as Linkerd: a server's proxy retrying too would multiply every retry.
        replayable = rt.isRetryable() && !upgradeRequest && context.direction() == Direction.OUTBOUND;
        long t = rt.timeoutNanos();
        if (t > 0 && (timeout == null || t < timeoutNanos)) {
            // Counted from the request's head, as the listener's own timeout: the shorter one wins.
            cancelTimeout();
            timeoutNanos = t;
            timeout = loop.schedule(this::onTimeout, Math.max(0, t - (System.nanoTime() - startNanos)), TimeUnit.NANOSECONDS);
        }
    }

    private void scheduleTimeout(long nanos) {
        timeoutNanos = nanos;
        timeout = loop.schedule(this::onTimeout, nanos, TimeUnit.NANOSECONDS);
    }

    private boolean upstreamSpeaksHttp2(Target t) {
        if (upgradeRequest) {
            return false; // an upgrade handshake only exists in HTTP/1
        }
        if (context.direction() == Direction.OUTBOUND && t.hint() == ProtocolHint.H2) {
            return true; // meshed: HTTP/1 crosses as a stream of the shared HTTP/2 connection
        }
        if (context.direction() == Direction.INBOUND && request.headers().contains(HopByHop.ORIG_PROTO)) {
            return false; // it was HTTP/1 when the client sent it; give the application HTTP/1
        }
        return down.isHttp2();
    }

    private void onLeased(Future<? super UpstreamLease> f) {
        if (!f.isSuccess()) {
            if (!finished && !retryAfterError("connect_failed")) {
                target.onFailure(System.nanoTime() - attemptStartNanos);
                respond(ProxyError.CONNECT_FAILED, target.address() + ": " + rootMessage(f.cause()));
            }
            return;
        }
        UpstreamLease l = (UpstreamLease) f.getNow();
        if (finished) {
            l.release(false);
            return;
        }
        if (context.isSelf(l.remoteAddress())) {
            l.release(false);
            l.channel().close();
            target.onFailure(System.nanoTime() - startNanos);
            respond(ProxyError.LOOP_DETECTED, target.address().toString());
            return;
        }
        lease = l;
        l.write(upstreamHead(l.isHttp2()));
        if (retries > 0 && replay != null) {
            for (HttpContent c : replay) {
                l.write(c.retainedDuplicate());
            }
        }
        if (pending != null) {
            HttpContent c;
            while ((c = pending.poll()) != null) {
                sendBody(c);
            }
        }
        l.flush();
        l.resumeReading();
        if (!requestComplete) {
            if (l.isWritable()) {
                down.resumeReading();
            }
            // else: onUpstreamWritabilityChanged resumes it.
        }
    }

    /**
     * The head to write upstream. A FullHttpRequest (head and body in one) that may be sent again goes
     * as a retained duplicate, so that the original is still whole for the next attempt.
     */
    private HttpRequest upstreamHead(boolean http2) {
        HttpRequest head = upstreamRequest(http2);
        if (head instanceof FullHttpMessage full && head == request && (headRetained || keepForReplay(full.content().readableBytes()))) {
            headRetained = true;
            return (HttpRequest) full.retainedDuplicate();
        }
        return head;
    }

    /** Writes a body part upstream, keeping a duplicate while the request may be sent again. */
    private void sendBody(HttpContent content) {
        if (keepForReplay(content.content().readableBytes())) {
            if (replay == null) {
                replay = new ArrayDeque<>(4);
            }
            replay.add(content.retainedDuplicate());
        }
        lease.write(content);
    }

    /** Whether {@code bytes} more can be kept to send again; past the limit, what was kept goes. */
    private boolean keepForReplay(int bytes) {
        if (!replayable) {
            return false;
        }
        replayBytes += bytes;
        if (replayBytes > MAX_REPLAY_BYTES) {
            dropReplay();
            return false;
        }
        return true;
    }

    /** No more attempts: releases the body parts kept for them. */
    private void dropReplay() {
        replayable = false;
        if (replay != null) {
            HttpContent c;
            while ((c = replay.poll()) != null) {
                c.release();
            }
            replay = null;
        }
    }

    /**
     * Before a response head is passed on: when it is a failure the request may be retried after, gives
     * this attempt up and starts the next one. True if it did (the head is then released).
     */
    private boolean retryAfter(HttpResponse response) {
        if (!retryPossible()) {
            return false;
        }
        int status = response.status().code();
        int g = grpcStatusOf(response.headers());
        if (!RouteProfiles.isFailure(rt, status, g, null) || !profile.tryRetry()) {
            return false;
        }
        long rtt = System.nanoTime() - attemptStartNanos;
        target.onFailure(rtt);
        route().response(status, g, null, rtt / 1e6);
        rtSeries.actualResponse(status, true);
        boolean whole = response instanceof LastHttpContent;
        boolean reusable = whole && (lease.isHttp2() || HttpUtil.isKeepAlive(response));
        ReferenceCountUtil.release(response);
        lease.release(reusable); // a response with more to come: its stream is reset, its HTTP/1 connection closed
        lease = null;
        retry();
        return true;
    }

    /** When an attempt failed without a response ({@code error}): retries it if it may. True if it did. */
    private boolean retryAfterError(String error) {
        if (!retryPossible() || !profile.tryRetry()) {
            return false;
        }
        target.onFailure(System.nanoTime() - attemptStartNanos);
        route().response(0, -1, error, -1);
        rtSeries.actualError(error);
        if (lease != null) {
            lease.release(false);
            lease = null;
        }
        retry();
        return true;
    }

    /**
     * Whether a failed attempt may be followed by another, the budget aside. {@code replayable} says the
     * route is retryable (outbound) and the request still kept; it turns false once the response starts.
     */
    private boolean retryPossible() {
        return replayable && !finished && !responseStarted && requestComplete && retries < MAX_ATTEMPTS - 1;
    }

    private void retry() {
        retries++;
        attemptStartNanos = System.nanoTime();
        target = null; // its outcome is told; the next attempt is routed anew
        route = null; // and counted on the series of wherever it goes
        context.router().route(authority, endpointHint, originalDestination, loop).addListener(this::onRetryRouted);
    }

    private void onRetryRouted(Future<? super Target> f) {
        Target t = routed(f);
        if (t == null) {
            return;
        }
        target = t;
        route().request();
        rtSeries.actualRequest();
        acquire(t);
    }

    /** The request head as the upstream gets it. */
    private HttpRequest upstreamRequest(boolean http2) {
        // A FullHttpRequest (an HTTP/2 request without body) is forwarded whole; both codecs encode it.
        // (Not requestComplete: a small body may have arrived whole before the upstream was ready.)
        HttpRequest out = request instanceof FullHttpMessage || !bodyless ? request
                : new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                        Unpooled.EMPTY_BUFFER, request.headers(), HttpHeaders.EMPTY_HEADERS);
        HttpHeaders h = out.headers();
        boolean wasHttp1 = !down.isHttp2() || h.contains(HopByHop.ORIG_PROTO);
        HopByHop.strip(h, upgradeRequest);
        if (context.direction() == Direction.INBOUND) {
            // Meant for this proxy only; never shown to the application.
            h.remove(HopByHop.ORIG_PROTO);
            h.remove(HopByHop.DST_ADDR);
            h.remove(HopByHop.DST_CANONICAL);
            if (peerIdentity != null) {
                h.set(HopByHop.CLIENT_ID, peerIdentity.dnsName());
            } else {
                h.remove(HopByHop.CLIENT_ID);
            }
        } else if (target.viaProxy()) {
            h.set(HopByHop.DST_ADDR, target.endpoint().toString());
            if (profile != null) {
                h.set(HopByHop.DST_CANONICAL, profile.dst());
            } else {
                h.remove(HopByHop.DST_CANONICAL);
            }
        } else {
            h.remove(HopByHop.DST_ADDR);
            h.remove(HopByHop.DST_CANONICAL);
        }
        if (http2) {
            if (wasHttp1 && context.direction() == Direction.OUTBOUND) {
                h.set(HopByHop.ORIG_PROTO, request.protocolVersion().text());
            }
        } else {
            out.setProtocolVersion(HttpVersion.HTTP_1_1);
            if (!HttpUtil.isContentLengthSet(out) && !HttpUtil.isTransferEncodingChunked(out) && !bodyless) {
                // An HTTP/2 request with a body of unknown length: HTTP/1 frames it in chunks.
                HttpUtil.setTransferEncodingChunked(out, true);
            }
        }
        return out;
    }

    // ---- upstream events ----

    @Override
    public void onResponseObject(HttpObject msg) {
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                upstreamFailed(ProxyError.UPSTREAM_PROTOCOL_ERROR, rootMessage(response.decoderResult().cause()));
                return;
            }
            HttpResponseStatus status = response.status();
            if (status.codeClass() == HttpStatusClass.INFORMATIONAL && status.code() != 101) {
                forwardInformational(response);
                return;
            }
            if (status.code() == 101) {
                if (upgradeRequest && !lease.isHttp2()) {
                    switchProtocols(response);
                    return;
                }
                // A switch nobody asked for leaves the upstream's decoder in another protocol.
                ReferenceCountUtil.release(msg);
                upstreamKeepAlive = false;
                upstreamFailed(ProxyError.UPSTREAM_PROTOCOL_ERROR, "101 Switching Protocols without an upgrade request");
                return;
            }
            if (retryAfter(response)) {
                return;
            }
            responseHead(response);
        }
        if (msg instanceof HttpContent content) {
            if (skipInformationalEnd) {
                skipInformationalEnd = false;
                content.release();
                return;
            }
            if (!(msg instanceof HttpResponse) && content.decoderResult().isFailure()) {
                content.release();
                upstreamFailed(ProxyError.UPSTREAM_PROTOCOL_ERROR, rootMessage(content.decoderResult().cause()));
                return;
            }
            tapResponseBytes += content.content().readableBytes();
            if (msg instanceof LastHttpContent last) {
                // Recorded before the end goes out: whoever saw the response may read the metrics next.
                grpcStatus(last.trailingHeaders());
                record(null);
            }
            if (!(msg instanceof HttpResponse)) {
                if (msg instanceof LastHttpContent) {
                    lastWrite = down.writeWithFuture(content);
                } else {
                    down.write(content);
                }
            } else if (msg instanceof LastHttpContent) {
                lastWrite = down.writeWithFuture(msg); // a whole response (FullHttpResponse) went out as the head
            }
            if (msg instanceof LastHttpContent) {
                responseComplete = true;
                down.flush();
                complete();
                return;
            }
        }
        if (!down.isWritable()) {
            lease.pauseReading();
        }
    }

    private void responseHead(HttpResponse response) {
        cancelTimeout();
        responseStarted = true;
        dropReplay();
        long now = System.nanoTime();
        long rtt = now - startNanos;
        responseStatus = response.status().code();
        responseNanos = rtt;
        grpcStatus(response.headers()); // a trailers-only gRPC response carries its status here
        long attemptRtt = now - attemptStartNanos;
        if (response.status().code() >= 500) {
            target.onFailure(attemptRtt);
        } else {
            target.onSuccess(attemptRtt);
        }
        if (!lease.isHttp2()) {
            upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        }
        HttpHeaders h = response.headers();
        HopByHop.strip(h, false);
        if (!down.isHttp2()) {
            response.setProtocolVersion(HttpVersion.HTTP_1_1);
            if (!clientKeepAlive || context.isDraining()) {
                h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            if (!HttpUtil.isContentLengthSet(response) && !HttpUtil.isTransferEncodingChunked(response)
                    && mayHaveBody(response)) {
                if (response instanceof FullHttpMessage full) {
                    // A whole HTTP/2 response (HEADERS with END_STREAM, or HEADERS + one DATA): say its length.
                    HttpUtil.setContentLength(response, full.content().readableBytes());
                } else {
                    // A body delimited by the upstream closing its connection, or HTTP/2 DATA frames of
                    // unknown total: chunk it for our client.
                    HttpUtil.setTransferEncodingChunked(response, true);
                }
            }
        }
        if (tap.isTapped()) {
            tap.responseInit(new io.meshj.core.tap.TapEvent.ResponseInit(tapRequest, responseStatus, rtt,
                    ProxyTap.headers(h)));
        }
        if (!(response instanceof FullHttpResponse)) {
            down.write(response);
        }
        // (A FullHttpResponse is written by onResponseObject, which keeps its future.)
    }

    private boolean mayHaveBody(HttpResponse response) {
        int code = response.status().code();
        return code != 204 && code != 304 && !HttpMethod.HEAD.equals(request.method());
    }

    /** 100 Continue and friends: passed on as they come; the final response is still ahead. */
    private void forwardInformational(HttpResponse response) {
        if (!(response instanceof FullHttpResponse) && !lease.isHttp2()) {
            // The HTTP/1 decoder follows a 1xx head with an empty LastHttpContent; it belongs to this head.
            skipInformationalEnd = true;
        }
        FullHttpResponse info = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(),
                Unpooled.EMPTY_BUFFER, response.headers(), HttpHeaders.EMPTY_HEADERS);
        HopByHop.strip(info.headers(), false);
        ReferenceCountUtil.release(response);
        down.write(info);
        down.flush();
    }

    /**
     * The upstream accepted an HTTP/1 upgrade (WebSocket): forward the 101, then stop speaking HTTP on
     * both connections and relay bytes. Bytes either codec already buffered flow into the relay when
     * the codec is removed.
     */
    private void switchProtocols(HttpResponse response) {
        cancelTimeout();
        responseStarted = true;
        responseStatus = response.status().code();
        responseNanos = System.nanoTime() - startNanos;
        target.onSuccess(System.nanoTime() - startNanos);
        HopByHop.strip(response.headers(), true);
        Channel d = ((Http1ServerHandler) down).channel(); // an upgrade only exists on HTTP/1
        Channel u = lease.channel();
        d.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(), Unpooled.EMPTY_BUFFER,
                response.headers(), HttpHeaders.EMPTY_HEADERS));
        ReferenceCountUtil.release(response);
        finish(true);
        ChannelPipeline dp = d.pipeline();
        ChannelPipeline up = u.pipeline();
        removeIfPresent(dp, Http1ServerHandler.NAME);
        removeIfPresent(dp, RequestHeadTimeoutHandler.NAME);
        removeIfPresent(up, "upstream");
        removeIfPresent(up, "idle");
        TcpRelay.splice(d, u);
        // Removing the codecs last hands their buffered bytes (if any) to the relays.
        removeIfPresent(dp, Http1ServerHandler.CODEC_NAME);
        removeIfPresent(up, "codec");
    }

    private static void removeIfPresent(ChannelPipeline p, String name) {
        if (p.get(name) != null) {
            p.remove(name);
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!finished) {
            down.flush();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (!finished && !requestComplete) {
            if (writable) {
                down.resumeReading();
            } else {
                down.pauseReading();
            }
        }
    }

    @Override
    public void onUpstreamReset(Http2Error error) {
        if (finished) {
            return;
        }
        if (!responseStarted && retryAfterError("upstream_reset")) {
            return;
        }
        failure = "upstream_reset";
        if (down.isHttp2()) {
            if (!responseStarted) {
                target.onFailure(System.nanoTime() - startNanos);
            }
            finish(false);
            lease.release(false);
            down.abort(error);
            return;
        }
        upstreamFailed(ProxyError.UPSTREAM_FAILED, "stream reset: " + error);
    }

    @Override
    public void onUpstreamRefused() {
        if (finished) {
            return;
        }
        if (!responseStarted && bodyless && refusals < MAX_REFUSALS) {
            // The upstream never processed it (RFC 9113 §8.7), and nothing but the head was sent, which
            // is still here: send it again on another stream. This is routine under load: a server
            // that ends connections after N requests (nginx: 1,000) refuses the streams in flight past
            // its GOAWAY, and a peer can refuse a stream while it finishes closing one this side
            // already counts as closed (Netty closes a stream when the write of its end completes).
            // A retry can land on a connection that is about to go away too, hence a few attempts.
            refusals++;
            lease.release(false);
            lease = null;
            acquire(target);
            return;
        }
        if (down.isHttp2() && !responseStarted) {
            // The upstream never processed it: tell the client so, and it may retry safely.
            failure = "upstream_refused";
            target.onCancel();
            finish(false);
            lease.release(false);
            down.abort(Http2Error.REFUSED_STREAM);
            return;
        }
        upstreamFailed(ProxyError.UPSTREAM_FAILED, "stream refused");
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (finished) {
            return;
        }
        upstreamFailed(ProxyError.UPSTREAM_FAILED, cause == null ? null : rootMessage(cause));
    }

    private void upstreamFailed(ProxyError error, String detail) {
        String reason = error.name().toLowerCase(java.util.Locale.ROOT);
        if (!responseStarted && retryAfterError(reason)) {
            return;
        }
        failure = reason;
        if (!responseStarted) {
            target.onFailure(System.nanoTime() - attemptStartNanos);
            respond(error, detail);
            return;
        }
        // Mid-response: the client cannot be told with a status any more; cut the exchange short.
        context.metrics().error(context.direction(), error);
        finish(false);
        lease.release(false);
        down.abort(Http2Error.INTERNAL_ERROR);
    }

    private void onTimeout() {
        timeout = null;
        if (finished || responseStarted) {
            return;
        }
        if (target != null) {
            target.onFailure(System.nanoTime() - attemptStartNanos);
        }
        respond(ProxyError.TIMEOUT, "no response within " + Durations.format(java.time.Duration.ofNanos(timeoutNanos))
                + (rt != null && rt.timeoutNanos() == timeoutNanos
                        ? " (the timeout of route " + rt.name() + ")" : ""));
    }

    // ---- endings ----

    /** Answers the request with an error of the proxy's own, if the response has not started. */
    private void respond(ProxyError error, String detail) {
        if (finished) {
            return;
        }
        context.metrics().error(context.direction(), error);
        if (responseStarted) {
            finish(false);
            if (lease != null) {
                lease.release(false);
            }
            down.abort(Http2Error.INTERNAL_ERROR);
            return;
        }
        responseStarted = true;
        responseComplete = true;
        FullHttpResponse response = ProxyErrorResponses.of(error, detail, grpc, down.alloc());
        responseStatus = response.status().code();
        responseNanos = System.nanoTime() - startNanos;
        grpcStatus(response.headers());
        startTap(); // answered before it was routed: still a request to show
        if (tap.isTapped()) {
            tap.responseInit(new io.meshj.core.tap.TapEvent.ResponseInit(tapRequest, responseStatus, responseNanos,
                    ProxyTap.headers(response.headers())));
            tapResponseBytes = response.content().readableBytes();
        }
        failure = null; // answered: the status says what went wrong
        record(null); // before the answer goes out, as for forwarded responses
        boolean close = error.closesConnection() || !clientKeepAlive || context.isDraining();
        boolean inSync = requestComplete || !expectsBody;
        if (!down.isHttp2() && (close || !inSync)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture written = down.writeWithFuture(response);
        down.flush();
        finish(false);
        if (lease != null) {
            lease.release(false);
        }
        down.callEnded(this, down.isHttp2() ? requestComplete : inSync, close, written);
    }

    /** The response ended normally. */
    private void complete() {
        boolean reusable = requestComplete && upstreamKeepAlive;
        finish(true);
        lease.release(reusable);
        down.callEnded(this, down.isHttp2() || expectsBody ? requestComplete : true, !clientKeepAlive || context.isDraining(),
                lastWrite);
    }

    private void finish(boolean normally) {
        if (finished) {
            return;
        }
        finished = true;
        record(normally || responseComplete ? null : failure != null ? failure : "aborted");
        cancelTimeout();
        context.inFlight().decrementAndGet();
        if (pending != null) {
            HttpContent c;
            while ((c = pending.poll()) != null) {
                c.release();
            }
        }
        dropReplay();
        if (headRetained) {
            headRetained = false;
            ReferenceCountUtil.release(request); // what went upstream were duplicates
        } else if (!normally && lease == null) {
            ReferenceCountUtil.release(request);
        }
    }

    /**
     * The meters of an upstream connection made for {@code t}. Captures the target, not this call: a
     * pooled connection keeps its supplier, and must not keep a finished request alive with it.
     */
    private static java.util.function.Supplier<io.meshj.metrics.TcpMetrics.Connection> connectionMeter(ProxyContext context, Target t) {
        return () -> context.metrics().connected(context.direction(), t, context.config().identity().isPresent());
    }

    /** The series of this request: by its target once routed, else by what is known (direction, authority). */
    private HttpMetrics.Route route() {
        if (route == null) {
            route = context.metrics().http().route(ProxyMetrics.labels(context.direction(), authorityLabel, target,
                    peerIdentity == null ? null : peerIdentity.dnsName(), context.config().identity().isPresent()));
        }
        return route;
    }

    /** Records the response once: its status and gRPC status, or the error that ended the exchange. */
    private void record(String error) {
        if (recorded) {
            return;
        }
        recorded = true;
        if (route == null) {
            route().request(); // ended before it was routed: still a request
        }
        // The client went away (a reset, a closed connection, a gRPC deadline on its side): no failure
        // of the destination's. Before a response it is no response at all; after its head, the response
        // is what the head said — as Linkerd, which fixed counting cancellations as failures (linkerd2#3281).
        boolean cancelled = DOWNSTREAM_GONE.equals(error);
        if (cancelled) {
            if (responseNanos < 0) {
                recordTapEnd(error);
                return;
            }
            error = null;
        }
        route.response(error != null && responseNanos < 0 ? 0 : responseStatus, grpcStatus, error,
                responseNanos < 0 ? -1 : responseNanos / 1e6);
        if (rtSeries != null) {
            if (responseNanos < 0) {
                rtSeries.error(error != null ? error : "aborted");
                rtSeries.actualError(error != null ? error : "aborted");
            } else {
                boolean failed = RouteProfiles.isFailure(rt, responseStatus, grpcStatus, error);
                rtSeries.response(responseStatus, failed, responseNanos / 1e6);
                rtSeries.actualResponse(responseStatus, failed);
            }
        }
        recordTapEnd(cancelled ? DOWNSTREAM_GONE : error);
    }

    private void recordTapEnd(String error) {
        if (tap.isTapped()) {
            long sinceStart = System.nanoTime() - startNanos;
            tap.responseEnd(new io.meshj.core.tap.TapEvent.ResponseEnd(tapRequest, grpcStatus, error,
                    responseNanos < 0 ? sinceStart : sinceStart - responseNanos, tapResponseBytes));
        }
    }

    /**
     * Offers the request to tap subscribers, once: when it is routed (so its destination is known), or
     * when the proxy answers it before that. Costs one volatile read while nobody taps.
     */
    private void startTap() {
        if (tapChecked) {
            return;
        }
        tapChecked = true;
        io.meshj.core.tap.TapBus bus = context.tap();
        if (bus.hasSubscribers() && bus.wantsRequest(request.method().name(), authorityLabel, request.uri())) {
            io.meshj.core.tap.TapEvent.RequestInit init = ProxyTap.requestInit(bus, context,
                    down.connection().remoteAddress(), request, authorityLabel, target, peerIdentity);
            tapRequest = init.request();
            tap = bus.requestInit(init);
        }
    }

    private void grpcStatus(HttpHeaders headers) {
        int g = grpcStatusOf(headers);
        if (g >= 0) {
            grpcStatus = g;
        }
    }

    /** The gRPC status in {@code headers}, or -1 when there is none. */
    private static int grpcStatusOf(HttpHeaders headers) {
        String s = headers.get(GRPC_STATUS);
        if (s == null) {
            return -1;
        }
        int g;
        try {
            g = Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return 2; // UNKNOWN: a gRPC status that is no number is not OK
        }
        return g < 0 || g > 16 ? 2 : g; // UNKNOWN too: gRPC defines 0-16, and each value would be a series of its own
    }

    private static final io.netty.util.AsciiString GRPC_STATUS = io.netty.util.AsciiString.cached("grpc-status");

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    boolean isFinished() {
        return finished;
    }

    /** True while body parts of the request are still to be read (an HTTP/1 request that has a body). */
    boolean readsRequestBody() {
        return expectsBody && !requestComplete;
    }

    // ---- helpers ----

    /** The request's authority: the Host header (HTTP/2's :authority arrives as Host), or null if absent. */
    static Authority authorityOf(HttpRequest request) {
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (host == null || host.isEmpty()) {
            return null;
        }
        return AuthorityCache.parse(host);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return m == null ? root.getClass().getSimpleName() : m;
    }
}
