package io.meshj.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Linkerd's HTTP series: {@code request_total}, {@code response_total} (with {@code status_code},
 * {@code classification}, {@code grpc_status}, {@code error}) and the {@code response_latency_ms}
 * histogram (with {@code status_code}), all carrying the {@link TrafficLabels} of their destination.
 *
 * <p>Meters are looked up once per label set and kept ({@link #route}), so recording a request costs a
 * map lookup and a few adder increments, not a registry search.
 */
public final class HttpMetrics {

    /** Linkerd's latency buckets, in milliseconds. */
    static final double[] LATENCY_BUCKETS_MS = {1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000,
        4000, 5000, 10000, 20000, 30000, 40000, 50000};

    private final MeterRegistry registry;
    private final io.meshj.core.time.Ticker ticker;
    private final BoundedValues authorities;
    private final BoundedValues targets;
    private final Map<TrafficLabels, Route> routes = new ConcurrentHashMap<>();

    HttpMetrics(MeterRegistry registry, int labelValueLimit, io.meshj.core.time.Ticker ticker) {
        this.registry = registry;
        this.ticker = ticker;
        this.authorities = new BoundedValues(labelValueLimit);
        this.targets = new BoundedValues(labelValueLimit);
    }

    /** The meters of requests with these labels. */
    public Route route(TrafficLabels labels) {
        // Bound first, then look up: keyed by raw values, a client sending a new Host on every request
        // would grow this map without end even though the exported label says "overflow".
        String authority = authorities.bound(labels.authority());
        String target = targets.bound(labels.targetAddr());
        TrafficLabels key = authority == labels.authority() && target == labels.targetAddr() ? labels
                : new TrafficLabels(labels.direction(), authority, target, labels.tls(), labels.dst());
        Route r = routes.get(key);
        if (r == null) {
            r = routes.computeIfAbsent(key, l -> new Route(tags(l)));
        }
        return r;
    }

    private Tags tags(TrafficLabels l) {
        List<Tag> t = new ArrayList<>(8 + l.dst().size());
        t.add(Tag.of("direction", l.direction()));
        if (l.authority() != null) {
            t.add(Tag.of("authority", l.authority()));
        }
        t.add(Tag.of("target_addr", l.targetAddr()));
        addTls(t, l.tls());
        l.dst().forEach((k, v) -> t.add(Tag.of("dst_" + k, v)));
        return Tags.of(t);
    }

    static void addTls(List<Tag> t, TlsStatus tls) {
        t.add(Tag.of("tls", tls.tls()));
        if (tls.peerIdLabel() != null) {
            t.add(Tag.of(tls.peerIdLabel(), tls.peerId()));
        }
        if (tls.noTlsReason() != null) {
            t.add(Tag.of("no_tls_reason", tls.noTlsReason()));
        }
    }

    /**
     * Drops the series of label sets unused for {@code idleNanos} (endpoints that went away with their
     * pods), from this cache and from the registry, so that churn does not grow either for ever — as
     * Linkerd's proxy retains idle series only for a while. A label set used again starts from zero,
     * which Prometheus reads as a counter reset.
     */
    void expire(long idleNanos) {
        long now = ticker.nanoTime();
        routes.values().removeIf(r -> {
            if (now - r.lastUsed <= idleNanos) {
                return false;
            }
            registry.remove(r.requests);
            for (Response resp : r.responses.values()) {
                registry.remove(resp.total);
                if (resp.latency != null) {
                    registry.remove(resp.latency);
                }
            }
            return true;
        });
    }

    /** Label sets with series now (for tests of expiry). */
    int routeCount() {
        return routes.size();
    }

    /**
     * Linkerd's default response classification: a failure when the status is 5xx, when a gRPC status
     * other than OK came (in headers or trailers), or when the exchange ended in an error.
     */
    public static boolean isFailure(int status, int grpcStatus, String error) {
        return error != null || status >= 500 || grpcStatus > 0;
    }

    /** The meters of one label set. */
    public final class Route {
        private final Tags tags;
        private final Counter requests;
        private final Map<ResponseKey, Response> responses = new ConcurrentHashMap<>();
        private volatile long lastUsed = ticker.nanoTime();

        Route(Tags tags) {
            this.tags = tags;
            this.requests = Counter.builder("request_total").description("Total count of HTTP requests.")
                    .tags(tags).register(registry);
        }

        /** A request started. */
        public void request() {
            lastUsed = ticker.nanoTime();
            requests.increment();
        }

        /**
         * A response: {@code status} 0 and an {@code error} when none came (reset, connection lost);
         * {@code grpcStatus} -1 when the response is not gRPC.
         *
         * @param latencyMs time from the request's head to the response's first byte (Linkerd's TTFB),
         *     or negative to record no latency (no response came)
         */
        public void response(int status, int grpcStatus, String error, double latencyMs) {
            lastUsed = ticker.nanoTime();
            ResponseKey key = new ResponseKey(status, grpcStatus, error);
            Response r = responses.get(key);
            if (r == null) {
                r = responses.computeIfAbsent(key, this::meters);
            }
            r.total.increment();
            if (latencyMs >= 0 && r.latency != null) {
                r.latency.record(latencyMs);
            }
        }

        private Response meters(ResponseKey k) {
            List<Tag> t = new ArrayList<>(4);
            if (k.status > 0) {
                t.add(Tag.of("status_code", Integer.toString(k.status)));
            }
            t.add(Tag.of("classification", isFailure(k.status, k.grpcStatus, k.error) ? "failure" : "success"));
            if (k.grpcStatus >= 0) {
                t.add(Tag.of("grpc_status", Integer.toString(k.grpcStatus)));
            }
            if (k.error != null) {
                t.add(Tag.of("error", k.error));
            }
            Counter total = Counter.builder("response_total").description("Total count of HTTP responses.")
                    .tags(tags.and(t)).register(registry);
            DistributionSummary latency = k.status == 0 ? null : DistributionSummary.builder("response_latency_ms")
                    .description("Elapsed times between a request's headers being received and its response stream completing")
                    .serviceLevelObjectives(LATENCY_BUCKETS_MS)
                    .tags(tags.and("status_code", Integer.toString(k.status)))
                    .register(registry);
            return new Response(total, latency);
        }
    }

    private record ResponseKey(int status, int grpcStatus, String error) {
    }

    private record Response(Counter total, DistributionSummary latency) {
    }
}
