package io.meshj.core.time;

/**
 * A source of monotonic nanoseconds. Every time-based algorithm in meshj (load estimates, failure
 * accrual, retry budgets, cache expiry, certificate rotation) reads time through a {@code Ticker} so
 * that tests can move time by hand instead of sleeping, as Caffeine's {@code Ticker} and gRPC-Java's
 * {@code FakeClock} allow.
 *
 * <p>Implementations must be thread-safe and cheap: the balancer reads the ticker on every pick.
 */
@FunctionalInterface
public interface Ticker {

    /** Returns the current value of a monotonic clock in nanoseconds; only differences are meaningful. */
    long nanoTime();

    /** The system's monotonic clock, {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
