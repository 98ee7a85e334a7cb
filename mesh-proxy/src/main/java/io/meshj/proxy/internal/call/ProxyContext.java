package io.meshj.proxy.internal.call;

import static java.util.Objects.requireNonNull;

import io.meshj.core.retry.RetryBudget;
import io.meshj.core.tap.TapBus;
import io.meshj.core.time.Ticker;
import io.meshj.proxy.ProxyConfig;
import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.ProxyErrorLog;
import io.meshj.proxy.internal.ResetBudget;
import io.meshj.proxy.internal.ProxyLifecycle;
import io.meshj.proxy.internal.ProxyMetrics;
import io.meshj.proxy.internal.route.RouteProfiles;
import io.meshj.proxy.internal.route.Router;
import io.meshj.proxy.internal.route.Target;
import io.meshj.proxy.internal.upstream.Upstreams;
import java.util.Map;

/**
 * What every request and connection of one listener shares, in the order a request meets it: the
 * direction; where requests go ({@link #router}, {@link #profiles}) and how they get there
 * ({@link #upstreams}); the listener's limits ({@link #config}); what observes them ({@link #metrics},
 * {@link #tap}, {@link #localLabels}); the proxy around it ({@link #lifecycle}); and the clock every
 * duration is read from ({@link #ticker}). Built once per listener; immutable.
 */
public final class ProxyContext {

    private final Direction direction;
    private final Router router;
    private final RouteProfiles profiles;
    private final Upstreams upstreams;
    private final ProxyConfig config;
    private final ProxyMetrics metrics;
    private final TapBus tap;
    private final Map<String, String> localLabels;
    private final ProxyLifecycle lifecycle;
    private final Ticker ticker;
    /** Whether this proxy has an identity of its own, and so can speak mTLS at all. */
    private final boolean localTls;
    private final ProxyErrorLog errorLog;
    private final ResetBudget resetBudget;
    private final RetryBudget retryBudget;

    private ProxyContext(Builder b) {
        this.direction = b.direction;
        this.router = requireNonNull(b.router, "router");
        this.profiles = b.profiles;
        this.upstreams = b.upstreams;
        this.config = requireNonNull(b.config, "config");
        this.metrics = requireNonNull(b.metrics, "metrics");
        this.tap = b.tap;
        this.localLabels = Map.copyOf(b.localLabels);
        this.lifecycle = b.lifecycle;
        this.ticker = b.ticker;
        this.localTls = config.identity().isPresent();
        this.errorLog = new ProxyErrorLog(direction, ticker);
        this.resetBudget = b.resetBudget != null ? b.resetBudget : ResetBudget.defaults(ticker);
        this.retryBudget = RetryBudget.of(RetryBudget.Spec.DEFAULT, ticker);
    }

    public static Builder builder(Direction direction) {
        return new Builder(requireNonNull(direction, "direction"));
    }

    public Direction direction() {
        return direction;
    }

    public boolean isInbound() {
        return direction == Direction.INBOUND;
    }

    public Router router() {
        return router;
    }

    /** The service profiles requests are matched to routes by (route metrics, timeouts, retries). */
    public RouteProfiles profiles() {
        return profiles;
    }

    public Upstreams upstreams() {
        return upstreams;
    }

    public ProxyConfig config() {
        return config;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /** Where this proxy's requests are published for tap. */
    public TapBus tap() {
        return tap;
    }

    /** What the mesh knows of this proxy's own workload (namespace, pod, ...): one side of its tapped requests. */
    public Map<String, String> localLabels() {
        return localLabels;
    }

    public ProxyLifecycle lifecycle() {
        return lifecycle;
    }

    public Ticker ticker() {
        return ticker;
    }

    /** The streams each HTTP/2 client may reset before their response, across its connections (proxy-wide). */
    public ResetBudget resetBudget() {
        return resetBudget;
    }

    /**
     * The retry budget of requests that follow no service profile (no controller, or an address for a
     * name): the default one (20 % of requests, at least 10 retries a second), for the whole listener.
     */
    public RetryBudget retryBudget() {
        return retryBudget;
    }

    public boolean localTls() {
        return localTls;
    }

    /** Counts an answer or refusal of the proxy's own in this listener's direction. */
    public void countError(ProxyError error) {
        metrics.error(direction, error);
    }

    /**
     * Counts an answer of the proxy's own and logs its {@code detail} for the operator (rate-limited):
     * the client may be told less, see {@link ProxyError#detailForClient}.
     */
    public void reportError(ProxyError error, String authority, String detail) {
        metrics.error(direction, error);
        errorLog.log(error, authority, detail);
    }

    /**
     * The meters of an upstream connection made for {@code target}. Captures the target, not a request:
     * a pooled connection keeps its supplier, and must not keep a finished request alive with it.
     */
    public java.util.function.Supplier<io.meshj.metrics.TcpMetrics.Connection> connectionMeter(Target target) {
        return () -> metrics.connected(direction, target, localTls);
    }

    /** Builds a {@link ProxyContext}; router, config and metrics are required. */
    public static final class Builder {
        private final Direction direction;
        private Router router;
        private RouteProfiles profiles = RouteProfiles.NONE;
        private Upstreams upstreams;
        private ProxyConfig config;
        private ProxyMetrics metrics;
        private TapBus tap = TapBus.create();
        private Map<String, String> localLabels = Map.of();
        private ProxyLifecycle lifecycle = new ProxyLifecycle();
        private Ticker ticker = Ticker.system();
        private ResetBudget resetBudget;

        private Builder(Direction direction) {
            this.direction = direction;
        }

        public Builder router(Router router) {
            this.router = requireNonNull(router, "router");
            return this;
        }

        public Builder profiles(RouteProfiles profiles) {
            this.profiles = requireNonNull(profiles, "profiles");
            return this;
        }

        public Builder upstreams(Upstreams upstreams) {
            this.upstreams = requireNonNull(upstreams, "upstreams");
            return this;
        }

        public Builder config(ProxyConfig config) {
            this.config = requireNonNull(config, "config");
            return this;
        }

        public Builder metrics(ProxyMetrics metrics) {
            this.metrics = requireNonNull(metrics, "metrics");
            return this;
        }

        /** Where requests are published for tap, with this workload's labels as their local side. */
        public Builder tap(TapBus tap, Map<String, String> localLabels) {
            this.tap = requireNonNull(tap, "tap");
            this.localLabels = requireNonNull(localLabels, "localLabels");
            return this;
        }

        /** The proxy both listeners belong to; by default one of this listener's own. */
        public Builder lifecycle(ProxyLifecycle lifecycle) {
            this.lifecycle = requireNonNull(lifecycle, "lifecycle");
            return this;
        }

        /** Shared by the proxy's listeners, so that a client's resets count across both. Default: one of its own. */
        public Builder resetBudget(ResetBudget budget) {
            this.resetBudget = budget;
            return this;
        }

        public Builder ticker(Ticker ticker) {
            this.ticker = requireNonNull(ticker, "ticker");
            return this;
        }

        public ProxyContext build() {
            return new ProxyContext(this);
        }
    }
}
