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
    private final io.meshj.core.tap.TapBus tap;
    private final java.util.Map<String, String> localLabels;
    private final io.meshj.proxy.internal.route.RouteProfiles profiles;
    private volatile boolean draining;
    private volatile java.util.List<java.net.InetSocketAddress> listeners = java.util.List.of();

    public ProxyContext(Direction direction, Router router, UpstreamConnector connector, ProxyConfig config,
            ProxyMetrics metrics, AtomicInteger inFlight, io.meshj.core.tap.TapBus tap,
            java.util.Map<String, String> localLabels) {
        this(direction, router, connector, config, metrics, inFlight, tap, localLabels,
                io.meshj.proxy.internal.route.RouteProfiles.NONE);
    }

    public ProxyContext(Direction direction, Router router, UpstreamConnector connector, ProxyConfig config,
            ProxyMetrics metrics, AtomicInteger inFlight, io.meshj.core.tap.TapBus tap,
            java.util.Map<String, String> localLabels, io.meshj.proxy.internal.route.RouteProfiles profiles) {
        this.profiles = java.util.Objects.requireNonNull(profiles, "profiles");
        this.direction = direction;
        this.router = router;
        this.connector = connector;
        this.config = config;
        this.metrics = metrics;
        this.inFlight = inFlight;
        this.tap = tap;
        this.localLabels = java.util.Map.copyOf(localLabels);
    }

    /** Where this proxy's requests are published for tap. */
    public io.meshj.core.tap.TapBus tap() {
        return tap;
    }

    /** What the mesh knows of this proxy's own workload (namespace, pod, ...): one side of its tapped requests. */
    public java.util.Map<String, String> localLabels() {
        return localLabels;
    }

    /** The service profiles requests are matched to routes by (route metrics, route timeouts). */
    public io.meshj.proxy.internal.route.RouteProfiles profiles() {
        return profiles;
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

    /** Records where the proxy's own listeners are bound, for {@link #isSelf}. */
    public void setListeners(java.util.List<java.net.InetSocketAddress> addresses) {
        this.listeners = java.util.List.copyOf(addresses);
    }

    /**
     * True when {@code remote} is one of this proxy's own listeners (a request whose authority names the
     * proxy itself, or an application port that is the inbound port): forwarding there would loop.
     */
    public boolean isSelf(java.net.SocketAddress remote) {
        if (!(remote instanceof java.net.InetSocketAddress r) || r.getAddress() == null) {
            return false;
        }
        for (java.net.InetSocketAddress l : listeners) {
            if (l.getPort() == r.getPort() && (l.getAddress().isAnyLocalAddress() ? isLocal(r.getAddress())
                    : l.getAddress().equals(r.getAddress()))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLocal(java.net.InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return true;
        }
        try {
            return java.net.NetworkInterface.getByInetAddress(a) != null;
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    /** True once shutdown began: HTTP/1 responses carry {@code Connection: close}. */
    public boolean isDraining() {
        return draining;
    }

    public void startDraining() {
        draining = true;
    }
}
