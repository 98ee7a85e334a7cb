package io.meshj.core.balance;

import static java.util.Objects.requireNonNull;

import io.meshj.core.retry.ExponentialBackoff;

/**
 * When to stop sending traffic to an endpoint that keeps failing, and for how long.
 *
 * <p>The policy is Linkerd's "consecutive failures" accrual (itself from Finagle's
 * {@code FailureAccrualFactory}): after {@code threshold} failures in a row (7 by default) the
 * endpoint is skipped for a jittered, exponentially growing backoff (1 s up to 60 s); when the backoff
 * ends it receives exactly one request, the probe. A successful probe restores it; a failed one sends
 * it back for the next, longer backoff. Any success resets the count. When every endpoint is failing,
 * the balancer picks one anyway: serving some requests beats refusing all of them.
 */
public final class FailureAccrual {

    private static final FailureAccrual DISABLED = new FailureAccrual(Integer.MAX_VALUE, null);

    private final int threshold;
    private final ExponentialBackoff backoff;

    private FailureAccrual(int threshold, ExponentialBackoff backoff) {
        this.threshold = threshold;
        this.backoff = backoff;
    }

    /** 7 consecutive failures, backoff 1 s → 60 s with jitter 0.5 from {@code backoff}'s random source. */
    public static FailureAccrual defaults() {
        return consecutiveFailures(7, ExponentialBackoff.builder().build());
    }

    /** Skips an endpoint after {@code threshold} consecutive failures, for delays from {@code backoff}. */
    public static FailureAccrual consecutiveFailures(int threshold, ExponentialBackoff backoff) {
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold " + threshold + " must be at least 1");
        }
        return new FailureAccrual(threshold, requireNonNull(backoff, "backoff"));
    }

    /** Never skips an endpoint. */
    public static FailureAccrual disabled() {
        return DISABLED;
    }

    boolean isEnabled() {
        return backoff != null;
    }

    int threshold() {
        return threshold;
    }

    long backoffNanos(int attempt) {
        return backoff.delayNanos(attempt);
    }
}
