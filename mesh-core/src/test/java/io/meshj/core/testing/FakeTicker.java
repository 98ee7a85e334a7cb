package io.meshj.core.testing;

import io.meshj.core.time.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Ticker} that moves only when a test says so (gRPC-Java's {@code FakeClock}, in small). */
public final class FakeTicker implements Ticker {

    // Starts far from zero so code that mishandles "0 means unset" or wrap-around shows up.
    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    public FakeTicker advance(Duration d) {
        nanos.addAndGet(d.toNanos());
        return this;
    }

    public FakeTicker advanceNanos(long n) {
        nanos.addAndGet(n);
        return this;
    }

    public FakeTicker advanceMillis(long ms) {
        return advanceNanos(ms * 1_000_000L);
    }
}
