package io.meshj.metrics;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Linkerd's per-route series, what {@code linkerd viz routes} reads: {@code route_request_total},
 * {@code route_response_total} (with {@code status_code} and {@code classification}, which comes from
 * the route's response classes rather than the fixed 5xx rule) and the {@code route_response_latency_ms}
 * histogram (Linkerd's buckets, as {@code response_latency_ms}); and, counting every attempt a retried
 * request made where those count the request once, {@code route_actual_request_total} and
 * {@code route_actual_response_total}. Labels: {@code direction}, {@code dst}
 * (the authority whose service profile has the route) and {@code rt_route} (the route's name; absent
 * for requests no declared route matched, as in Linkerd).
 *
 * <p>The hot path is a {@link Series}: look one up per (direction, dst, route) and keep it; recording a
 * response then indexes an array by status and classification, with no allocation.
 */
public final class RouteMetrics {

    private final MeterRegistry registry;
    private final io.meshj.core.time.Ticker ticker;
    private final BoundedValues dsts;
    private final Map<Key, Series> series = new ConcurrentHashMap<>();

    RouteMetrics(MeterRegistry registry, int labelValueLimit, io.meshj.core.time.Ticker ticker) {
        this.registry = registry;
        this.ticker = ticker;
        this.dsts = new BoundedValues(labelValueLimit);
    }

    private record Key(String direction, String dst, String route) {
    }

    /**
     * The meters of requests in {@code direction} to {@code dst} on route {@code route} (null: no
     * declared route matched). Allocates on a miss only; callers cache the result.
     */
    public Series series(String direction, String dst, String route) {
        requireNonNull(direction, "direction");
        requireNonNull(dst, "dst");
        Key key = new Key(direction, dsts.bound(dst), route);
        Series s = series.get(key);
        if (s == null) {
            s = series.computeIfAbsent(key, k -> new Series(k.route() == null
                    ? Tags.of("direction", k.direction(), "dst", k.dst())
                    : Tags.of("direction", k.direction(), "dst", k.dst(), "rt_route", k.route())));
        }
        return s;
    }

    /** Drops series idle for {@code idleNanos}, as {@link HttpMetrics} does; a cached Series then records nothing. */
    void expire(long idleNanos) {
        long now = ticker.nanoTime();
        series.values().removeIf(s -> {
            if (now - s.lastUsed <= idleNanos) {
                return false;
            }
            s.remove();
            return true;
        });
    }

    /** The meters of one (direction, dst, route). */
    public final class Series {
        /** Statuses 100-599, each as success and as failure. */
        private static final int MIN_STATUS = 100;
        private static final int STATUSES = 500;

        private final Tags tags;
        private final Counter requests;
        private final AtomicReferenceArray<Response> byStatus = new AtomicReferenceArray<>(STATUSES * 2);
        private final Map<String, Response> byError = new ConcurrentHashMap<>();
        private final Counter actualRequests;
        /** Attempts' responses, as {@link #byStatus} (null until used). */
        private final AtomicReferenceArray<Counter> actualByStatus = new AtomicReferenceArray<>(STATUSES * 2);
        private final Map<String, Counter> actualByError = new ConcurrentHashMap<>();
        private volatile long lastUsed = ticker.nanoTime();
        private volatile boolean removed;

        Series(Tags tags) {
            this.tags = tags;
            this.requests = Counter.builder("route_request_total").description("Total count of HTTP requests, by route.")
                    .tags(tags).register(registry);
            this.actualRequests = Counter.builder("route_actual_request_total")
                    .description("Total count of HTTP requests sent, retries included, by route.").tags(tags).register(registry);
        }

        /** A request on this route started. */
        public void request() {
            lastUsed = ticker.nanoTime();
            requests.increment();
        }

        /**
         * A response with {@code status} (100-599) classified by the route as {@code failure}, whose
         * head came {@code latencyMs} after the request's.
         */
        public void response(int status, boolean failure, double latencyMs) {
            lastUsed = ticker.nanoTime();
            int i = status < MIN_STATUS || status >= MIN_STATUS + STATUSES ? -1 : (status - MIN_STATUS) * 2 + (failure ? 1 : 0);
            if (i < 0) {
                return; // not HTTP: nothing the route's classes could say about it
            }
            Response r = byStatus.get(i);
            if (r == null) {
                r = meters(Integer.toString(status), failure, true);
                if (!byStatus.compareAndSet(i, null, r)) {
                    r = byStatus.get(i); // Micrometer returned the same meters to both racers
                }
            }
            r.total.increment();
            r.latency.record(latencyMs);
        }

        /** An exchange that ended without a response ({@code error}, e.g. a reset): a failure. */
        public void error(String error) {
            lastUsed = ticker.nanoTime();
            byError.computeIfAbsent(error, e -> meters(null, true, false)).total.increment();
        }

        /** An attempt of a request on this route went out: the first one, or a retry. */
        public void actualRequest() {
            lastUsed = ticker.nanoTime();
            actualRequests.increment();
        }

        /** The response to one attempt, classified as {@link #response} classifies the request's. */
        public void actualResponse(int status, boolean failure) {
            lastUsed = ticker.nanoTime();
            int i = status < MIN_STATUS || status >= MIN_STATUS + STATUSES ? -1 : (status - MIN_STATUS) * 2 + (failure ? 1 : 0);
            if (i < 0) {
                return;
            }
            Counter c = actualByStatus.get(i);
            if (c == null) {
                c = actualCounter(Integer.toString(status), failure);
                if (!actualByStatus.compareAndSet(i, null, c)) {
                    c = actualByStatus.get(i);
                }
            }
            c.increment();
        }

        /** An attempt that ended without a response: a failure. */
        public void actualError(String error) {
            lastUsed = ticker.nanoTime();
            actualByError.computeIfAbsent(error, e -> actualCounter(null, true)).increment();
        }

        private Counter actualCounter(String status, boolean failure) {
            Tags t = status == null ? tags : tags.and("status_code", status);
            return Counter.builder("route_actual_response_total")
                    .description("Total count of HTTP responses received, retries included, by route.")
                    .tags(t.and("classification", failure ? "failure" : "success")).register(registry);
        }

        private Response meters(String status, boolean failure, boolean latency) {
            Tags t = status == null ? tags : tags.and("status_code", status);
            Counter total = Counter.builder("route_response_total").description("Total count of HTTP responses, by route.")
                    .tags(t.and("classification", failure ? "failure" : "success")).register(registry);
            DistributionSummary l = !latency ? null : DistributionSummary.builder("route_response_latency_ms")
                    .description("Elapsed times between a request's headers being received and its response headers, by route.")
                    .serviceLevelObjectives(HttpMetrics.LATENCY_BUCKETS_MS)
                    .tags(t).register(registry);
            return new Response(total, l);
        }

        private void remove() {
            removed = true;
            registry.remove(requests);
            for (int i = 0; i < byStatus.length(); i++) {
                Response r = byStatus.get(i);
                if (r != null) {
                    registry.remove(r.total);
                    registry.remove(r.latency);
                }
            }
            byError.values().forEach(r -> registry.remove(r.total));
            registry.remove(actualRequests);
            for (int i = 0; i < actualByStatus.length(); i++) {
                Counter c = actualByStatus.get(i);
                if (c != null) {
                    registry.remove(c);
                }
            }
            actualByError.values().forEach(registry::remove);
        }

        /** True once expired: a holder of this Series must look it up again. */
        public boolean isRemoved() {
            return removed;
        }
    }

    private record Response(Counter total, DistributionSummary latency) {
    }
}
