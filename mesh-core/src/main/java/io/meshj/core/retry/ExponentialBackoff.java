package io.meshj.core.retry;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import io.meshj.core.internal.ThreadLocalRandoms;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Jittered exponential backoff: attempt {@code n} (from 0) waits between {@code min × 2ⁿ} and
 * {@code (1 + jitter)} times that, uniformly; once that would pass {@code max}, between
 * {@code (1 - jitter) × max} and {@code max}. Never less than {@code min}.
 *
 * <p>The jitter is there so that many clients that failed together (a controller restart, an
 * endpoint that fell over) do not all come back in the same instant — the "thundering herd" that
 * AWS's "Exponential Backoff and Jitter" article measures. It is not "full jitter" (uniform from 0)
 * so that the first delay is never below {@code min}, which the failure accrual contract promises
 * ("skipped for 1 s, then ..."). Used by failure accrual (1 s → 60 s) and, later, by reconnecting
 * discovery and certificate clients.
 *
 * <p>Immutable and thread-safe if its random source is.
 */
public final class ExponentialBackoff {

    private final long minNanos;
    private final long maxNanos;
    private final double jitter;
    private final RandomGenerator random;

    private ExponentialBackoff(Builder b) {
        this.minNanos = b.min.toNanos();
        this.maxNanos = b.max.toNanos();
        this.jitter = b.jitter;
        this.random = b.random;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The delay before retry number {@code attempt} (0 for the first), in nanoseconds. */
    public long delayNanos(int attempt) {
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt " + attempt + " is negative");
        }
        // Past 62 doublings the base is far beyond any max; Math.pow would only lose precision.
        double base = attempt >= 62 ? Double.MAX_VALUE : minNanos * Math.pow(2, attempt);
        // Uniform in [lo, hi]: [base, base(1+j)] while that fits under max, [max(1-j), max] once
        // capped, never below min. Drawing inside the bounds (rather than clamping a draw) keeps the
        // spread at both ends, where clamping would pile half the delays onto min or max.
        double lo = Math.max(minNanos, Math.min(base, maxNanos * (1 - jitter)));
        double hi = Math.min(base * (1 + jitter), maxNanos);
        if (hi <= lo) {
            return (long) lo;
        }
        return (long) (lo + (hi - lo) * random.nextDouble());
    }

    public Duration delay(int attempt) {
        return Duration.ofNanos(delayNanos(attempt));
    }

    public Duration min() {
        return Duration.ofNanos(minNanos);
    }

    public Duration max() {
        return Duration.ofNanos(maxNanos);
    }

    /** Builds an {@link ExponentialBackoff}: default min 1 s, max 60 s, jitter 0.5. */
    public static final class Builder {
        private Duration min = Duration.ofSeconds(1);
        private Duration max = Duration.ofSeconds(60);
        private double jitter = 0.5;
        private RandomGenerator random = ThreadLocalRandoms.PER_THREAD;

        private Builder() {
        }

        public Builder min(Duration min) {
            this.min = requireNonNull(min, "min");
            return this;
        }

        public Builder max(Duration max) {
            this.max = requireNonNull(max, "max");
            return this;
        }

        /** The spread, as a fraction of each delay, in [0, 1]; 0 disables jitter. */
        public Builder jitter(double jitter) {
            if (!(jitter >= 0 && jitter <= 1)) {
                throw new IllegalArgumentException("jitter " + jitter + " must be in [0, 1]");
            }
            this.jitter = jitter;
            return this;
        }

        /** The random source for jitter; default {@link ThreadLocalRandom}. */
        public Builder random(RandomGenerator random) {
            this.random = requireNonNull(random, "random");
            return this;
        }

        public ExponentialBackoff build() {
            if (min.isNegative() || min.isZero()) {
                throw new IllegalArgumentException("min " + min + " must be positive");
            }
            if (max.compareTo(min) < 0) {
                throw new IllegalArgumentException("max " + max + " is less than min " + min);
            }
            return new ExponentialBackoff(this);
        }
    }
}
