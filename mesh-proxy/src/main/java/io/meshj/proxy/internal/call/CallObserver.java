package io.meshj.proxy.internal.call;

import io.meshj.core.profile.Route;
import io.meshj.core.tap.TapBus;
import io.meshj.core.tap.TapCall;
import io.meshj.core.tap.TapEvent;
import io.meshj.core.tap.TapRequest;
import io.meshj.core.time.Ticker;
import io.meshj.metrics.HttpMetrics;
import io.meshj.metrics.RouteMetrics;
import io.meshj.proxy.internal.ProxyMetrics;
import io.meshj.proxy.internal.route.RouteProfiles;
import io.meshj.proxy.internal.route.Target;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/**
 * What metrics and tap see of one request, at the design's fixed observation points: the request routed
 * (or answered before it could be), its response head, and the end of its stream. Each point is
 * recorded once per request; a retried request also counts each failed attempt on the series of
 * wherever it went, and on its route's {@code route_actual_*} series.
 *
 * <p>Time comes from the context's {@link Ticker}: latencies are measured from the moment the request
 * head arrived. Tap costs one volatile read per request while nobody taps.
 */
final class CallObserver {

    /** What ended a request whose client went away before it did: not counted as the destination's failure. */
    static final String CLIENT_GONE = "downstream_gone";

    private final ProxyContext context;
    private final Downstream down;
    private final HttpRequest request;
    private final RequestRouting routing;
    private final Ticker ticker;
    private final long startNanos;
    /** The attempt's target, for the series' labels; null until routed. */
    private Target target;
    private HttpMetrics.Route series;
    private Route route;
    private RouteMetrics.Series routeSeries;
    private int responseStatus;
    private int grpcStatus = -1;
    private long responseNanos = -1;
    private boolean recorded;
    private TapCall tap = TapCall.NONE;
    private TapRequest tapRequest;
    private boolean tapChecked;
    private long tapResponseBytes;

    CallObserver(ProxyContext context, Downstream down, HttpRequest request, RequestRouting routing) {
        this.context = context;
        this.down = down;
        this.request = request;
        this.routing = routing;
        this.ticker = context.ticker();
        this.startNanos = ticker.nanoTime();
    }

    long startNanos() {
        return startNanos;
    }

    /** Now, on the context's clock. */
    long now() {
        return ticker.nanoTime();
    }

    /** Since the request head arrived. */
    long elapsed(long now) {
        return now - startNanos;
    }

    /** The first attempt was routed to {@code t}, and matched {@code route} (null without a profile). */
    void routed(Target t) {
        target = t;
        series().request();
        route = routing.route();
        routeSeries = routing.routeSeries();
        if (routeSeries != null) {
            routeSeries.request();
            routeSeries.actualRequest();
        }
        startTap();
    }

    /** The request is routed again for a retry: until it is, it belongs to no target. */
    void retrying() {
        target = null;
        series = null; // counted on the series of wherever it goes
    }

    /** A retry was routed to {@code t}: it counts as a request there, and as an actual one of its route. */
    void retryRouted(Target t) {
        target = t;
        series().request();
        if (routeSeries != null) {
            routeSeries.actualRequest();
        }
    }

    /** An attempt failed with a response head that is given up for another attempt. */
    void attemptFailed(int status, int grpc, long attemptNanos) {
        series().response(status, grpc, null, attemptNanos / 1e6);
        if (routeSeries != null) {
            routeSeries.actualResponse(status, true);
        }
    }

    /** An attempt failed without a response ({@code error}) and is given up for another attempt. */
    void attemptFailed(String error) {
        series().response(0, -1, error, -1);
        if (routeSeries != null) {
            routeSeries.actualError(error);
        }
    }

    /** The response head went to the client at {@code now}, with {@code headers} as forwarded. */
    void responseHead(int status, HttpHeaders headers, long now) {
        responseStatus = status;
        responseNanos = now - startNanos;
        grpcStatus(headers); // a trailers-only gRPC response carries its status here
        if (tap.isTapped()) {
            tap.responseInit(new TapEvent.ResponseInit(tapRequest, status, responseNanos, ProxyTap.headers(headers)));
        }
    }

    /**
     * The proxy answers the request itself with {@code headers} and a body of {@code bodyBytes}; tapped
     * even though it was never routed.
     */
    void proxyAnswered(int status, HttpHeaders headers, int bodyBytes) {
        startTap();
        responseHead(status, headers, now());
        tapResponseBytes = bodyBytes;
    }

    void responseBytes(int bytes) {
        tapResponseBytes += bytes;
    }

    /** The response's trailers: a gRPC status there is the call's. */
    void trailers(HttpHeaders trailers) {
        grpcStatus(trailers);
    }

    private void grpcStatus(HttpHeaders headers) {
        int g = ResponseHeads.grpcStatusOf(headers);
        if (g >= 0) {
            grpcStatus = g;
        }
    }

    /** The series of this request: by its target once routed, else by what is known (direction, authority). */
    private HttpMetrics.Route series() {
        if (series == null) {
            series = context.metrics().http().route(ProxyMetrics.labels(context.direction(), routing.authorityLabel(),
                    target, routing.peerIdentity() == null ? null : routing.peerIdentity().dnsName(), context.localTls()));
        }
        return series;
    }

    /** Records the response once: its status and gRPC status, or the error that ended the exchange. */
    void record(String error) {
        if (recorded) {
            return;
        }
        recorded = true;
        if (series == null) {
            series().request(); // ended before it was routed: still a request
        }
        // The client went away (a reset, a closed connection, a gRPC deadline on its side): no failure
        // of the destination's. Before a response it is no response at all; after its head, the response
        // is what the head said — as Linkerd, which fixed counting cancellations as failures (linkerd2#3281).
        boolean cancelled = CLIENT_GONE.equals(error);
        if (cancelled) {
            if (responseNanos < 0) {
                tapEnd(error);
                return;
            }
            error = null;
        }
        series.response(error != null && responseNanos < 0 ? 0 : responseStatus, grpcStatus, error,
                responseNanos < 0 ? -1 : responseNanos / 1e6);
        if (routeSeries != null) {
            if (responseNanos < 0) {
                routeSeries.error(error != null ? error : "aborted");
                routeSeries.actualError(error != null ? error : "aborted");
            } else {
                boolean failed = RouteProfiles.isFailure(route, responseStatus, grpcStatus, error);
                routeSeries.response(responseStatus, failed, responseNanos / 1e6);
                routeSeries.actualResponse(responseStatus, failed);
            }
        }
        tapEnd(cancelled ? CLIENT_GONE : error);
    }

    private void tapEnd(String error) {
        if (tap.isTapped()) {
            long sinceStart = now() - startNanos;
            tap.responseEnd(new TapEvent.ResponseEnd(tapRequest, grpcStatus, error,
                    responseNanos < 0 ? sinceStart : sinceStart - responseNanos, tapResponseBytes));
        }
    }

    /**
     * Offers the request to tap subscribers, once: when it is routed (so its destination is known), or
     * when the proxy answers it before that.
     */
    private void startTap() {
        if (tapChecked) {
            return;
        }
        tapChecked = true;
        TapBus bus = context.tap();
        if (bus.hasSubscribers() && bus.wantsRequest(request.method().name(), routing.authorityLabel(), request.uri())) {
            TapEvent.RequestInit init = ProxyTap.requestInit(bus, context, down.connection().remoteAddress(), request,
                    routing.authorityLabel(), target, routing.peerIdentity());
            tapRequest = init.request();
            tap = bus.requestInit(init);
        }
    }
}
