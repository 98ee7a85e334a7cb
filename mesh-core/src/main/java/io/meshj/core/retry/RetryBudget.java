package io.meshj.core.retry;

import static java.util.Objects.requireNonNull;

import io.meshj.core.time.Ticker;
import java.time.Duration;

/**
 * A retry budget: retries may add at most {@code retryRatio} of the original requests, plus a floor of
 * {@code minRetriesPerSecond} so that a quiet service can still retry, with credit that expires after
 * {@code ttl}. The defaults (0.2, 10/s, 10 s) are Linkerd's and Finagle's.
 *
 * <p>This is Finagle's {@code RetryBudget} (and tower's {@code TpsBudget}) in its essentials: a
 * leaky token bucket in which every original request deposits one unit of credit, every retry
 * withdraws {@code 1 / retryRatio} units, and a constant reserve of
 * {@code minRetriesPerSecond × ttl} retries is always present. Deposits and withdrawals age out after
 * {@code ttl}, so the budget follows recent traffic, not all traffic ever. With no traffic, exactly
 * {@code minRetriesPerSecond × ttl} retries succeed per {@code ttl} window; under load the retry rate
 * tends to {@code retryRatio} of the request rate plus that floor.
 *
 * <p>Time is kept in ten slots per {@code ttl} (a ring of counters), so a deposit expires between
 * 0.9 and 1.0 × {@code ttl} after it was made; that granularity is what keeps each call O(1).
 *
 * <p>Thread-safe; each call is a short critical section.
 */
public final class RetryBudget {

    /** The parameters of a budget, as a service profile states them. */
    public record Spec(double retryRatio, int minRetriesPerSecond, Duration ttl) {

        /** 20 % of requests, at least 10 retries per second, over 10 seconds. */
        public static final Spec DEFAULT = new Spec(0.2, 10, Duration.ofSeconds(10));

        public Spec {
            requireNonNull(ttl, "ttl");
            if (!(retryRatio == 0 || (retryRatio >= 0.001 && retryRatio <= 1000))) {
                throw new IllegalArgumentException("retryRatio " + retryRatio + " must be 0 or in [0.001, 1000]");
            }
            if (minRetriesPerSecond < 0) {
                throw new IllegalArgumentException("minRetriesPerSecond " + minRetriesPerSecond + " is negative");
            }
            if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofSeconds(60)) > 0) {
                throw new IllegalArgumentException("ttl " + ttl + " must be between 1s and 60s");
            }
        }
    }

    private static final int SLOTS = 10;
    private static final long DEPOSIT = 1000;

    private final Spec spec;
    private final Ticker ticker;
    private final long deposit;
    private final long withdrawal;
    private final long reserve;
    private final long slotNanos;
    private final long origin;

    // Guarded by this.
    private final long[] slots = new long[SLOTS];
    private long currentSlot;
    private long sum;

    private RetryBudget(Spec spec, Ticker ticker) {
        this.spec = spec;
        this.ticker = ticker;
        if (spec.retryRatio() == 0) {
            // Requests earn nothing; only the reserve can be spent.
            this.deposit = 0;
            this.withdrawal = DEPOSIT;
        } else {
            this.deposit = DEPOSIT;
            this.withdrawal = Math.max(1, Math.round(DEPOSIT / spec.retryRatio()));
        }
        long ttlNanos = spec.ttl().toNanos();
        this.reserve = Math.round(spec.minRetriesPerSecond() * (ttlNanos / 1e9)) * withdrawal;
        this.slotNanos = ttlNanos / SLOTS;
        this.origin = ticker.nanoTime();
    }

    /** A budget with the {@link Spec#DEFAULT default} parameters on the system clock. */
    public static RetryBudget defaults() {
        return of(Spec.DEFAULT, Ticker.system());
    }

    public static RetryBudget of(Spec spec, Ticker ticker) {
        return new RetryBudget(requireNonNull(spec, "spec"), requireNonNull(ticker, "ticker"));
    }

    /** Credits the budget for one original (non-retry) request. */
    public synchronized void deposit() {
        advance();
        slots[(int) (currentSlot % SLOTS)] += deposit;
        sum += deposit;
    }

    /**
     * Spends the budget for one retry if it allows one.
     *
     * @return false when the budget is exhausted: do not retry
     */
    public synchronized boolean tryWithdraw() {
        advance();
        if (reserve + sum - withdrawal < 0) {
            return false;
        }
        slots[(int) (currentSlot % SLOTS)] -= withdrawal;
        sum -= withdrawal;
        return true;
    }

    /** How many retries the budget would allow right now. */
    public synchronized long available() {
        advance();
        return Math.max(0, (reserve + sum) / withdrawal);
    }

    public Spec spec() {
        return spec;
    }

    private void advance() {
        long slot = (ticker.nanoTime() - origin) / slotNanos;
        if (slot <= currentSlot) {
            return;
        }
        long steps = Math.min(slot - currentSlot, SLOTS);
        for (long i = 1; i <= steps; i++) {
            int index = (int) ((currentSlot + i) % SLOTS);
            sum -= slots[index];
            slots[index] = 0;
        }
        currentSlot = slot;
    }
}
