package io.meshj.core.discovery;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import io.meshj.core.name.Authority;
import io.meshj.core.time.Ticker;
import java.time.Duration;

/**
 * One {@link Resolution} per name that is in use, shared by every caller, with the watch of a name
 * closed once nobody has resolved it for the idle timeout (default 60 s). This is the shape of the
 * discovery cache in Linkerd's proxy: names come and go with traffic, and a proxy that watched every
 * name it ever saw would hold watches (and controller streams) forever.
 *
 * <p>Callers keep a resolution alive by calling {@link #resolve} when they use it, typically once per
 * request — a Caffeine lookup — rather than holding it.
 *
 * <p>Built on Caffeine's {@code expireAfterAccess} with the injectable {@link Ticker}; removal runs on
 * the thread that triggers it, so tests observe evictions synchronously after {@link #cleanUp()}.
 */
public final class ResolutionCache implements AutoCloseable {

    private final DiscoverySource source;
    private final Cache<Authority, Resolution> cache;

    private ResolutionCache(Builder b) {
        this.source = b.source;
        Ticker ticker = b.ticker;
        Caffeine<Object, Object> caffeine = Caffeine.newBuilder()
                .expireAfterAccess(b.idleTimeout)
                .ticker(ticker::nanoTime)
                .executor(Runnable::run);
        if (b.activeExpiry) {
            caffeine.scheduler(Scheduler.systemScheduler());
        }
        this.cache = caffeine.<Authority, Resolution>removalListener(
                (Authority key, Resolution value, RemovalCause cause) -> {
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
     * Returns the resolution of {@code authority}, starting a watch if none is active. The first call
     * for a name may deliver the source's initial state before it returns (sources with a local copy
     * do); otherwise {@link Resolution#isResolved()} is false until it arrives.
     */
    public Resolution resolve(Authority authority) {
        requireNonNull(authority, "authority");
        return cache.get(authority, a -> {
            Resolution r = new Resolution(a);
            r.start(source);
            return r;
        });
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
