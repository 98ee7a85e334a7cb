package io.meshj.core.discovery;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.name.Authority;
import io.meshj.core.time.Ticker;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One {@link Resolution} per name in use, shared by every caller, whose watch is closed once the name
 * has gone unused for the idle timeout (default 60 s). This is the shape of the discovery cache in
 * Linkerd's proxy: names come and go with traffic, and a proxy that watched every name it ever saw
 * would hold watches (and controller streams) forever.
 *
 * <p>A name is in use while it has {@linkplain #subscribe subscribers} — a balancer that follows its
 * endpoints, say — and for the idle timeout after its last subscriber leaves or its last
 * {@link #resolve}. A subscribed name is never evicted, however long it goes without traffic.
 *
 * <p>Built on Caffeine's variable expiry with the injectable {@link Ticker}; removal runs on the
 * thread that triggers it, so tests observe evictions synchronously after {@link #cleanUp()}. Watches
 * start outside Caffeine's locks, because a source may deliver its first update (and run listeners)
 * inside {@link DiscoverySource#watch}.
 */
public final class ResolutionCache implements AutoCloseable {

    private final DiscoverySource source;
    private final Cache<Authority, Resolution> cache;

    private ResolutionCache(Builder b) {
        this.source = b.source;
        long idleNanos = b.idleTimeout.toNanos();
        Ticker ticker = b.ticker;
        Caffeine<Object, Object> caffeine = Caffeine.newBuilder()
                .ticker(ticker::nanoTime)
                .executor(Runnable::run);
        if (b.activeExpiry) {
            caffeine.scheduler(Scheduler.systemScheduler());
        }
        this.cache = caffeine
                .expireAfter(new Expiry<Authority, Resolution>() {
                    @Override
                    public long expireAfterCreate(Authority key, Resolution value, long now) {
                        return lifetime(value);
                    }

                    @Override
                    public long expireAfterUpdate(Authority key, Resolution value, long now, long current) {
                        return lifetime(value);
                    }

                    @Override
                    public long expireAfterRead(Authority key, Resolution value, long now, long current) {
                        return lifetime(value);
                    }

                    private long lifetime(Resolution value) {
                        return value.isPinned() ? Long.MAX_VALUE : idleNanos;
                    }
                })
                .<Authority, Resolution>removalListener((Authority key, Resolution value, RemovalCause cause) -> {
                    if (value != null) {
                        value.close();
                    }
                })
                .build();
    }

    public static Builder builder(DiscoverySource source) {
        return new Builder(source);
    }

    /**
     * Returns the resolution of {@code authority}, starting a watch if none is active, and marks the
     * name as used now. The first call for a name may deliver the source's initial state before it
     * returns (sources with a local copy do); otherwise {@link Resolution#isResolved()} is false until
     * it arrives.
     */
    public Resolution resolve(Authority authority) {
        requireNonNull(authority, "authority");
        Resolution r = cache.get(authority, Resolution::new);
        r.startIfNeeded(source);
        return r;
    }

    /**
     * Calls {@code listener} with the endpoints of {@code authority} now (once known) and after every
     * change, and keeps the name resolved until the returned watch is closed.
     *
     * <p>Threading: the listener runs on the source's delivery thread, or on this thread for the
     * current state, one call at a time and in order; it must be quick and must not block.
     */
    public Watch subscribe(Authority authority, Consumer<EndpointSet> listener) {
        requireNonNull(authority, "authority");
        requireNonNull(listener, "listener");
        Resolution[] subscribed = new Resolution[1];
        // compute() re-evaluates the expiry with the listener attached: the entry is pinned atomically.
        cache.asMap().compute(authority, (key, existing) -> {
            Resolution r = existing != null ? existing : new Resolution(key);
            r.addListener(listener);
            subscribed[0] = r;
            return r;
        });
        Resolution r = subscribed[0];
        r.startIfNeeded(source);
        r.deliverCurrent(listener);
        return () -> {
            r.removeListener(listener);
            // Touching the entry through compute re-evaluates its expiry: unpinned, it now idles out.
            cache.asMap().computeIfPresent(authority, (key, current) -> current);
        };
    }

    /** Number of active resolutions (after any pending evictions). */
    public long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** Runs pending expirations now. */
    public void cleanUp() {
        cache.cleanUp();
    }

    /** Closes every resolution; the source itself stays open (its owner closes it). */
    @Override
    public void close() {
        cache.invalidateAll();
        cache.cleanUp();
    }

    /** Builds a {@link ResolutionCache}. */
    public static final class Builder {
        private final DiscoverySource source;
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Ticker ticker = Ticker.system();
        private boolean activeExpiry = true;

        private Builder(DiscoverySource source) {
            this.source = requireNonNull(source, "source");
        }

        /** How long an unused resolution lives; default 60 s. */
        public Builder idleTimeout(Duration idleTimeout) {
            requireNonNull(idleTimeout, "idleTimeout");
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout " + idleTimeout + " must be positive");
            }
            this.idleTimeout = idleTimeout;
            return this;
        }

        /**
         * The clock for idle timeouts. A non-system ticker also turns off the background expiry timer,
         * so evictions happen only on cache activity and {@link #cleanUp()} — what a test wants.
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = requireNonNull(ticker, "ticker");
            this.activeExpiry = false;
            return this;
        }

        public ResolutionCache build() {
            return new ResolutionCache(this);
        }
    }
}
