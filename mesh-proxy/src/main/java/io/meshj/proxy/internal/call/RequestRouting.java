package io.meshj.proxy.internal.call;

import io.meshj.core.name.Authority;
import io.meshj.core.name.InvalidAuthorityException;
import io.meshj.core.profile.Route;
import io.meshj.metrics.RouteMetrics;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.route.RouteException;
import io.meshj.proxy.internal.route.RouteProfiles;
import io.meshj.proxy.internal.route.Target;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.transport.OriginalDestination;
import io.meshj.tls.WorkloadIdentity;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * Where one request goes, the first step of its life in the proxy: what names its destination (the
 * authority, a peer proxy's endpoint hint, the connection's original destination), who sent it (the
 * mTLS peer, inbound), which service profile it follows; then, asynchronously, the target the router
 * picks, checked against the ports that take only meshed clients and held back until the profile is
 * known; and last the profile's route the request matches.
 *
 * <p>A request that cannot be routed at all (CONNECT, an unparsable authority or endpoint hint, no
 * name for an outbound request) is {@link #rejection() rejected} here, before the router is asked.
 *
 * <p>Runs on the request's event loop; the {@link Listener} is called there, once per {@link #route}.
 */
final class RequestRouting implements GenericFutureListener<Future<Target>> {

    /** How long a request waits for its destination's first profile before it goes on without routes. */
    private static final long PROFILE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Told where a request goes, or why it goes nowhere. */
    interface Listener {
        void onRouted(Target target);

        void onRouteFailed(ProxyError error, String detail);
    }

    private final ProxyContext context;
    private final EventLoop loop;
    private Authority authority;
    private String authorityLabel;
    private Authority endpointHint;
    private Authority originalDestination;
    /** Inbound: the verified identity of the meshed client, or null for plaintext. */
    private WorkloadIdentity peerIdentity;
    private RouteProfiles.Profile profile;
    private Route route;
    private RouteMetrics.Series series;
    private boolean profileWaited;
    private ProxyError rejection;
    private String rejectionDetail;
    private Listener listener;

    RequestRouting(ProxyContext context, Downstream down, HttpRequest request) {
        this.context = context;
        this.loop = down.eventLoop();
        if (HttpMethod.CONNECT.equals(request.method())) {
            // A tunnel through the proxy would bypass routing and leave a pooled connection in raw mode.
            reject(ProxyError.METHOD_NOT_SUPPORTED, "CONNECT");
            return;
        }
        String hosts = checkSingleHost(request);
        if (hosts != null) {
            reject(ProxyError.BAD_REQUEST, hosts);
            return;
        }
        try {
            authority = authorityOf(request);
        } catch (InvalidAuthorityException e) {
            reject(ProxyError.BAD_REQUEST, e.getMessage());
            return;
        }
        authorityLabel = authority == null ? null : authority.toString();
        // Where the application connected, when iptables redirected it here: outbound, what a name no
        // service claims (or no name) goes to; inbound, which application port.
        originalDestination = OriginalDestination.get(down.connection());
        if (authority == null && originalDestination == null && !context.isInbound()) {
            reject(ProxyError.NO_AUTHORITY, null);
            return;
        }
        String canonical = null;
        if (context.isInbound()) {
            peerIdentity = ProxyTls.peerIdentity(down.connection()).orElse(null);
            String dst = request.headers().get(HopByHop.DST_ADDR);
            if (dst != null) {
                try {
                    endpointHint = AuthorityCache.parse(dst);
                } catch (InvalidAuthorityException e) {
                    reject(ProxyError.BAD_REQUEST, HopByHop.DST_ADDR + ": " + e.getMessage());
                    return;
                }
            }
            // The name a meshed client's proxy resolved is the service's (Host may be a short name of
            // another namespace); a plaintext client could claim any, so its Host is all there is.
            canonical = peerIdentity != null ? request.headers().get(HopByHop.DST_CANONICAL) : null;
        }
        // Followed from now, alongside endpoint discovery: both are usually known by the time a target
        // is picked.
        profile = context.profiles().lookup(context.isInbound(), canonical != null ? canonical : authorityLabel);
    }

    private void reject(ProxyError error, String detail) {
        rejection = error;
        rejectionDetail = detail;
    }

    /** Why the request cannot be routed at all, or null. */
    ProxyError rejection() {
        return rejection;
    }

    String rejectionDetail() {
        return rejectionDetail;
    }

    /** Asks the router for a target; {@code listener} hears the outcome on the loop. */
    void route(Listener listener) {
        this.listener = listener;
        context.router().route(authority, endpointHint, originalDestination, loop).addListener(this);
    }

    /** Whether a retry could go to another endpoint than {@code failed}'s: the service has another. */
    boolean hasOtherEndpoint(Target failed) {
        return context.router().hasOtherEndpoint(authority, originalDestination, failed);
    }

    /** Asks the router for a target again, for a retry after the attempt at {@code failed} failed. */
    void reroute(Listener listener, Target failed) {
        this.listener = listener;
        context.router().reroute(authority, endpointHint, originalDestination, failed, loop).addListener(this);
    }

    @Override
    public void operationComplete(Future<Target> f) {
        if (!f.isSuccess()) {
            if (f.cause() instanceof RouteException re) {
                listener.onRouteFailed(re.error(), re.getMessage());
            } else {
                listener.onRouteFailed(ProxyError.CONNECT_FAILED, String.valueOf(f.cause()));
            }
            return;
        }
        Target t = f.getNow();
        if (context.isInbound() && peerIdentity == null
                && context.config().requireIdentityPorts().contains(t.address().port())) {
            listener.onRouteFailed(ProxyError.IDENTITY_REQUIRED,
                    "port " + t.address().port() + " accepts only mTLS from meshed workloads");
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
                operationComplete(f);
            }, PROFILE_WAIT_NANOS, TimeUnit.NANOSECONDS);
            profile.ready().whenComplete((v, e) -> loop.execute(() -> {
                if (giveUp.cancel(false)) {
                    operationComplete(f);
                }
            }));
            return;
        }
        listener.onRouted(t);
    }

    /**
     * Matches the request to a route of its profile, once routed, and credits the retry budget of its
     * service (outbound; the listener's, without a profile) with it. Returns the route, or null without
     * a profile.
     */
    Route matchRoute(HttpRequest request) {
        if (profile == null) {
            if (!context.isInbound()) {
                context.retryBudget().deposit();
            }
            return null;
        }
        route = profile.route(request.method().name(), request.uri());
        series = profile.series(route);
        if (!context.isInbound()) {
            profile.deposit(); // only the client's proxy retries
        }
        return route;
    }

    /** The route matched, or null (no profile, or not routed yet). */
    Route route() {
        return route;
    }

    /** The matched route's series, or null. */
    RouteMetrics.Series routeSeries() {
        return series;
    }

    /** The profile followed, or null. */
    RouteProfiles.Profile profile() {
        return profile;
    }

    /** True, spending it, when the service's retry budget (without a profile, the listener's) allows one more retry now. */
    boolean tryRetry() {
        return profile != null ? profile.tryRetry() : context.retryBudget().tryWithdraw();
    }

    /** The authority as the request wrote it (the {@code authority} label), or null. */
    String authorityLabel() {
        return authorityLabel;
    }

    boolean isInbound() {
        return context.isInbound();
    }

    WorkloadIdentity peerIdentity() {
        return peerIdentity;
    }

    /** The request's authority: the Host header (HTTP/2's :authority arrives as Host), or null if absent. */
    static Authority authorityOf(HttpRequest request) {
        String host = request.headers().get(HttpHeaderNames.HOST);
        return host == null || host.isEmpty() ? null : AuthorityCache.parse(host);
    }

    /**
     * Null when the request names at most one host, else why it is malformed: an HTTP/1 request with two
     * Host fields (RFC 9112 §3.2; routing by one while the application reads the other is how requests
     * get past a proxy's routing). HTTP/2's {@code :authority} and a {@code host} field arrive as one
     * Host, or as a stream error when they differ (Netty's conversion, after RFC 9113 §8.3.1).
     */
    static String checkSingleHost(HttpRequest request) {
        Iterator<String> all = request.headers().valueStringIterator(HttpHeaderNames.HOST);
        if (all.hasNext()) {
            all.next();
            if (all.hasNext()) {
                return "more than one Host header";
            }
        }
        return null;
    }
}
