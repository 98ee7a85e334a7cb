package io.meshj.proxy.internal.http;

import io.meshj.proxy.ProxyConfig;
import io.meshj.proxy.internal.ProxyMetrics;
import io.meshj.proxy.internal.route.Router;
import io.meshj.proxy.internal.upstream.UpstreamConnector;
import java.util.concurrent.atomic.AtomicInteger;

/** What every request on one listener shares: its direction, router, upstreams, limits and counters. */
public final class ProxyContext {

    private final Direction direction;
    private final Router router;
    private final UpstreamConnector connector;
    private final ProxyConfig config;
    private final ProxyMetrics metrics;
    private final AtomicInteger inFlight;
    private volatile boolean draining;

    public ProxyContext(Direction direction, Router router, UpstreamConnector connector, ProxyConfig config,
            ProxyMetrics metrics, AtomicInteger inFlight) {
        this.direction = direction;
        this.router = router;
        this.connector = connector;
        this.config = config;
        this.metrics = metrics;
        this.inFlight = inFlight;
    }

    public Direction direction() {
        return direction;
    }

    public Router router() {
        return router;
    }

    public UpstreamConnector connector() {
        return connector;
    }

    public ProxyConfig config() {
        return config;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /** Requests in flight on all listeners (shutdown waits for it to reach zero). */
    public AtomicInteger inFlight() {
        return inFlight;
    }

    /** True once shutdown began: HTTP/1 responses carry {@code Connection: close}. */
    public boolean isDraining() {
        return draining;
    }

    public void startDraining() {
        draining = true;
    }
}
