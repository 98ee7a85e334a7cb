package io.meshj.metrics;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one proxy (or embedded app), named and labelled as Linkerd's proxy names them so that
 * its dashboards and queries work unchanged, in a Prometheus registry whose {@link #scrape()} is the
 * admin {@code /metrics} body (text format 0.0.4).
 *
 * <pre>{@code
 * MeshMetrics metrics = MeshMetrics.create();
 * HttpMetrics.Route route = metrics.http().route(labels);
 * route.request();
 * route.response(200, -1, null, 1.7);
 * String body = metrics.scrape();
 * }</pre>
 */
public final class MeshMetrics implements AutoCloseable {

    /** Distinct values kept per unbounded label (authority, target address) before "overflow". */
    public static final int DEFAULT_LABEL_VALUE_LIMIT = 1000;

    private final PrometheusMeterRegistry registry;
    private final HttpMetrics http;
    private final TcpMetrics tcp;
    private final RouteMetrics routes;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    private MeshMetrics(int labelValueLimit, io.meshj.core.time.Ticker ticker) {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), labelValueLimit, ticker);
    }

    private MeshMetrics(PrometheusMeterRegistry registry, int labelValueLimit, io.meshj.core.time.Ticker ticker) {
        this.registry = requireNonNull(registry, "registry");
        this.http = new HttpMetrics(registry, labelValueLimit, ticker);
        this.tcp = new TcpMetrics(registry, labelValueLimit, ticker);
        this.routes = new RouteMetrics(registry, labelValueLimit, ticker);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry); // process_start_time_seconds, process_uptime_seconds
        // Prometheus's standard process CPU series (Micrometer's ProcessorMetrics names break its conventions).
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            FunctionCounter.builder("process_cpu_seconds", sun, o -> o.getProcessCpuTime() / 1e9)
                    .description("Total user and system CPU time spent in seconds.").register(registry);
        }
    }

    /** How long the series of a label set nobody uses any more are kept. */
    public static final java.time.Duration DEFAULT_RETAIN_IDLE = java.time.Duration.ofMinutes(10);

    public static MeshMetrics create() {
        return new MeshMetrics(DEFAULT_LABEL_VALUE_LIMIT, io.meshj.core.time.Ticker.system());
    }

    /**
     * In the application's own registry (an embedded app that already serves {@code /metrics}): the
     * mesh's series appear next to its own, with the same names the sidecar uses.
     */
    public static MeshMetrics create(PrometheusMeterRegistry registry) {
        return new MeshMetrics(registry, DEFAULT_LABEL_VALUE_LIMIT, io.meshj.core.time.Ticker.system());
    }

    /** With a smaller bound on label values (for tests of the bound). */
    public static MeshMetrics create(int labelValueLimit) {
        return new MeshMetrics(labelValueLimit, io.meshj.core.time.Ticker.system());
    }

    /** With the clock that idleness is measured on (for tests of expiry). */
    public static MeshMetrics create(io.meshj.core.time.Ticker ticker) {
        return new MeshMetrics(DEFAULT_LABEL_VALUE_LIMIT, ticker);
    }

    /**
     * Drops the HTTP and TCP series whose label set has been idle for {@code retain} (endpoints gone
     * with their pods); call it periodically. Without it, pod churn grows the registry without end.
     */
    public void expireIdle(java.time.Duration retain) {
        http.expire(retain.toNanos());
        tcp.expire(retain.toNanos());
        routes.expire(retain.toNanos());
    }

    public HttpMetrics http() {
        return http;
    }

    /** The per-route series of service profiles ({@code route_*}). */
    public RouteMetrics routes() {
        return routes;
    }

    public TcpMetrics tcp() {
        return tcp;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Publishes the workload certificate's state as Linkerd's {@code identity_cert_*} series, read from
     * {@code source} at each scrape.
     */
    public <T> void identity(T source, ToDoubleFunction<T> expirationEpochSeconds, ToDoubleFunction<T> refreshEpochSeconds,
            ToDoubleFunction<T> refreshes, ToDoubleFunction<T> failures) {
        Gauge.builder("identity_cert_expiration_timestamp_seconds", source, expirationEpochSeconds)
                .description("Time when this proxy's current mTLS identity certificate will expire (in seconds since the UNIX epoch).")
                .register(registry);
        Gauge.builder("identity_cert_refresh_timestamp_seconds", source, refreshEpochSeconds)
                .description("Time when this proxy's current mTLS identity certificate was last refreshed (in seconds since the UNIX epoch).")
                .register(registry);
        FunctionCounter.builder("identity_cert_refresh", source, refreshes)
                .description("Certificates received, the first included.").register(registry);
        FunctionCounter.builder("identity_cert_refresh_failures", source, failures)
                .description("Certification attempts that failed.").register(registry);
    }

    /**
     * Publishes the state of a tap source: {@code meshj_tap_subscribers} (open subscriptions) and
     * {@code meshj_tap_lost_events_total} (events dropped because a subscriber fell behind).
     */
    public <T> void tap(T source, ToDoubleFunction<T> subscribers, ToDoubleFunction<T> lostEvents) {
        Gauge.builder("meshj_tap_subscribers", source, subscribers)
                .description("Open tap subscriptions.").register(registry);
        FunctionCounter.builder("meshj_tap_lost_events", source, lostEvents)
                .description("Tap events dropped because a subscriber fell behind (tap is lossy; traffic never waits).")
                .register(registry);
    }

    /** A counter of this registry (for the proxy's own series, such as its error answers). */
    public Counter counter(String name, String description, String... tags) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    /** Prometheus text exposition, format 0.0.4. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
