package io.meshj.proxy.internal.route;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.meshj.core.discovery.Watch;
import io.meshj.core.name.Authority;
import io.meshj.core.name.InvalidAuthorityException;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.core.retry.RetryBudget;
import io.meshj.core.time.Ticker;
import io.meshj.metrics.RouteMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The service profiles a proxy routes by, as Linkerd's proxy resolves one per destination: outbound,
 * the profile of each authority requests name (watched from its first request, cached per authority,
 * dropped after ten idle minutes); inbound, the profile of the service this proxy's workload registered
 * as, so a server sees its routes whether or not its clients are meshed; or, for a proxy that did not
 * register (an injected sidecar on Kubernetes), of the service the request was sent to: the canonical
 * name the client's proxy sends along, else the request's authority — as Linkerd's inbound proxy reads
 * the profile of {@code l5d-dst-canonical}.
 *
 * <p>Each {@link Profile} follows its stream, matches requests to a route (the first declared route
 * that matches, else the default route) and keeps each route's {@link RouteMetrics.Series}, so the
 * request path does a cache lookup, a route match and no allocation once warm.
 */
public final class RouteProfiles implements AutoCloseable {

    /** A proxy without a controller: no profiles, no route metrics. */
    public static final RouteProfiles NONE = new RouteProfiles(null, null, null, null, Ticker.system());

    private final BiFunction<Authority, Consumer<ServiceProfile>, Watch> source;
    private final UnaryOperator<Authority> normalizer;
    private final RouteMetrics metrics;
    /** The clock of the retry budgets. */
    private final Ticker ticker;
    /** Host strings as requests write them, to the name their profile is asked for. */
    private final Cache<String, Authority> names;
    /** One profile (and one controller stream) per destination name, however requests spell it. */
    private final Cache<Authority, Profile> outbound;
    /** Inbound profiles by the name requests were sent to, when the proxy registered no service. */
    private final Cache<Authority, Profile> inboundByName;
    private final Profile inbound;

    /**
     * @param source opens a profile watch (e.g. {@code ProfileDiscovery::watch}); null: no profiles
     * @param normalizer completes a name as the source will ({@code web:8080} to the service's FQDN)
     * @param metrics where route series go
     * @param inboundService the service the proxy's workload serves, or null (no inbound routes)
     * @param ticker the clock retry budgets are kept by
     */
    public RouteProfiles(BiFunction<Authority, Consumer<ServiceProfile>, Watch> source, UnaryOperator<Authority> normalizer,
            RouteMetrics metrics, Authority inboundService, Ticker ticker) {
        this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
        this.source = source;
        this.normalizer = normalizer;
        this.metrics = metrics;
        this.names = source == null ? null : Caffeine.newBuilder()
                .maximumSize(10_000)
                .expireAfterAccess(Duration.ofMinutes(10))
                .build();
        this.outbound = source == null ? null : profileCache(2_000);
        this.inboundByName = source == null || inboundService != null ? null : profileCache(100);
        this.inbound = source == null || inboundService == null ? null
                : new Profile("inbound", normalizer.apply(inboundService));
    }

    /**
     * The profile of requests to {@code authority} (as the request wrote it) outbound; inbound, of this
     * proxy's registered service, else of {@code authority} (the service the request was sent to); null
     * when there is none to follow.
     */
    public Profile lookup(boolean inboundDirection, String authority) {
        if (inboundDirection && inboundByName == null) {
            return inbound;
        }
        if (outbound == null || authority == null) {
            return null;
        }
        Authority name = names.getIfPresent(authority);
        if (name == null) {
            try {
                name = normalizer.apply(Authority.parse(authority));
            } catch (InvalidAuthorityException e) {
                return null;
            }
            names.put(authority, name);
        }
        if (name.isIpAddress()) {
            return null; // no service to have a profile (Linkerd asks by IP for pod profiles; not yet)
        }
        return inboundDirection ? inboundByName.get(name, n -> new Profile("inbound", n))
                : outbound.get(name, n -> new Profile("outbound", n));
    }

    private static Cache<Authority, Profile> profileCache(int size) {
        return Caffeine.newBuilder()
                .maximumSize(size)
                .expireAfterAccess(Duration.ofMinutes(10))
                // On the thread that removes (Caffeine's default is the common pool): close() then
                // has closed every profile's watch when it returns.
                .executor(Runnable::run)
                .removalListener((Authority k, Profile p, RemovalCause c) -> {
                    if (p != null) {
                        p.close();
                    }
                })
                .build();
    }

    @Override
    public void close() {
        for (Cache<Authority, Profile> c : java.util.Arrays.asList(outbound, inboundByName)) {
            if (c != null) {
                c.invalidateAll();
                c.cleanUp();
            }
        }
        if (inbound != null) {
            inbound.close();
        }
    }

    /**
     * The path a route is matched on: the request target without its query, and the path of an
     * absolute-form target ({@code http://host/path}, sent to HTTP/1 proxies).
     */
    public static String path(String uri) {
        int start = 0;
        if (!uri.startsWith("/")) {
            int scheme = uri.indexOf("://");
            if (scheme < 0) {
                return uri; // "*" (OPTIONS), or something no pathRegex is written for
            }
            start = uri.indexOf('/', scheme + 3);
            if (start < 0) {
                return "/";
            }
        }
        int end = uri.indexOf('?', start);
        if (end < 0) {
            end = uri.indexOf('#', start);
        }
        return start == 0 && end < 0 ? uri : uri.substring(start, end < 0 ? uri.length() : end);
    }

    /** One followed profile, in one direction, for one destination. */
    public final class Profile {
        private final String direction;
        private final String dst;
        private final CompletableFuture<Void> ready = new CompletableFuture<>();
        private final Map<Route, RouteMetrics.Series> series = new ConcurrentHashMap<>();
        private final Watch watch;
        private volatile ServiceProfile current;
        /**
         * The service's retry budget, the profile's (the default one until it is known): its retryable
         * routes' retries spend it, and so do retries of requests any route may retry (a failure that
         * never reached an application, an idempotent request's broken exchange).
         */
        private volatile RetryBudget budget = RetryBudget.of(RetryBudget.Spec.DEFAULT, ticker);

        Profile(String direction, Authority name) {
            this.direction = direction;
            this.dst = name.toString();
            this.watch = source.apply(name, this::update);
        }

        private void update(ServiceProfile p) {
            current = p;
            series.clear(); // the old profile's Route objects are no keys any more
            if (!budget.spec().equals(p.retryBudget())) {
                budget = RetryBudget.of(p.retryBudget(), ticker); // else: the same budget goes on
            }
            ready.complete(null);
        }

        /** The {@code dst} label: the authority whose profile this is. */
        public String dst() {
            return dst;
        }

        /**
         * Completes once the first profile (or the default one, the controller failing) is known, or
         * when a request gave up waiting for it ({@link #stopWaiting}).
         */
        public CompletableFuture<Void> ready() {
            return ready;
        }

        /** True while requests should wait for the first profile. */
        public boolean shouldWait() {
            return !ready.isDone();
        }

        /**
         * A request waited long enough: it and every later one go on with the default route until the
         * profile comes (a controller that accepted the stream but does not answer must not slow every
         * request down).
         */
        public void stopWaiting() {
            ready.complete(null);
        }

        public boolean isReady() {
            return current != null;
        }

        /** The route of a request; the default route before the profile is known. */
        public Route route(String method, String uri) {
            ServiceProfile p = current;
            return p == null ? ServiceProfile.defaultRoute() : p.route(method, path(uri));
        }

        /** Credits the retry budget with one request to the service (as Linkerd: any route, retries excluded). */
        public void deposit() {
            budget.deposit();
        }

        /** True, spending it, when the budget allows one more retry now. */
        public boolean tryRetry() {
            return budget.tryWithdraw();
        }

        /** The series of {@code route}, looked up once per route of the current profile. */
        public RouteMetrics.Series series(Route route) {
            RouteMetrics.Series s = series.get(route);
            if (s == null || s.isRemoved()) {
                // The default route's requests carry no rt_route, as Linkerd's unmatched ones.
                s = metrics.series(direction, dst, route == ServiceProfile.defaultRoute() ? null : route.name());
                series.put(route, s);
            }
            return s;
        }

        void close() {
            watch.close();
        }
    }

    /**
     * Whether a response failed on {@code route}: its response classes decide a status they match;
     * otherwise, as Linkerd's default classification, a 5xx, a gRPC status other than OK, or no response.
     */
    public static boolean isFailure(Route route, int status, int grpcStatus, String error) {
        if (error != null) {
            return true;
        }
        for (io.meshj.core.profile.ResponseClass c : route.responseClasses()) {
            if (c.condition().matches(status)) {
                return c.isFailure();
            }
        }
        return status >= 500 || grpcStatus > 0;
    }
}
