package io.meshj.core.balance;

import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.time.Ticker;

/**
 * An endpoint as the balancer sees it: its peak-EWMA latency estimate, its requests in flight and its
 * failure-accrual state. Requests reach it through a {@link Pick}, which reports their outcomes.
 *
 * <h2>Peak EWMA</h2>
 * The load estimate is Finagle's {@code PeakEwma} (also tower's {@code PeakEwma}, used by Linkerd):
 * a latency {@code cost} that jumps to any observed round-trip time above it (the peak) and otherwise
 * decays towards the observations exponentially, with weight {@code w = exp(-Δt / decay)} where
 * {@code Δt} is the time since the last update. Reading the load also decays the cost towards zero, so
 * an endpoint that has not been used for a while looks cheap again and gets re-measured — that is how
 * a slow endpoint that recovered wins traffic back. The load is {@code cost × (pending + 1)}: latency
 * times queue depth, an estimate of how long a new request would wait. Until its first response an
 * endpoint costs the default RTT (30 ms). Sensitivity to peaks is the point: a balancer that averages
 * hides the tail latency users feel.
 *
 * <p>Thread-safe: all state is guarded by this object's monitor, held for a few arithmetic operations.
 */
public final class BalancedEndpoint {

    /**
     * The load of an endpoint whose cost has decayed to zero but which has requests in flight: huge,
     * so it is not flooded just because it has not answered in a long time (Finagle's penalty).
     */
    private static final double PENALTY = (double) (Long.MAX_VALUE >> 16);

    private enum State { HEALTHY, BACKOFF, PROBING }

    private final Ticker ticker;
    private final double decayNanos;
    private final FailureAccrual accrual;
    private volatile Endpoint endpoint;

    // Guarded by this.
    private double cost;
    private long stamp;
    private int pending;
    private State state = State.HEALTHY;
    private int consecutiveFailures;
    private int backoffAttempts;
    private long probeAt;

    BalancedEndpoint(Endpoint endpoint, Ticker ticker, long defaultRttNanos, long decayNanos, FailureAccrual accrual) {
        this.endpoint = endpoint;
        this.ticker = ticker;
        this.decayNanos = decayNanos;
        this.accrual = accrual;
        this.cost = defaultRttNanos;
        this.stamp = ticker.nanoTime();
    }

    /** The endpoint; its weight and labels follow discovery updates. */
    public Endpoint endpoint() {
        return endpoint;
    }

    void setEndpoint(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    enum Outcome { SUCCESS, FAILURE, CANCEL }

    /** Records the outcome of {@code pick}, once. */
    void complete(Pick pick, long rttNanos, Outcome outcome) {
        long now = ticker.nanoTime();
        synchronized (this) {
            if (pick.done) {
                return;
            }
            pick.done = true;
            pending--;
            if (outcome == Outcome.CANCEL) {
                if (pick.isProbe() && state == State.PROBING) {
                    // The probe told us nothing: the next pick may probe again.
                    state = State.BACKOFF;
                }
                return;
            }
            observe(now, Math.max(0, rttNanos));
            if (outcome == Outcome.SUCCESS) {
                // Any success proves the endpoint works: the probe's, or one sent while every
                // endpoint was failing, or one that was in flight when it tripped.
                consecutiveFailures = 0;
                state = State.HEALTHY;
                backoffAttempts = 0;
                return;
            }
            if (state == State.HEALTHY) {
                if (accrual.isEnabled() && ++consecutiveFailures >= accrual.threshold()) {
                    startBackoff(now);
                }
            } else if (pick.isProbe() && state == State.PROBING) {
                startBackoff(now);
            }
            // Other failures while skipped (requests from before the trip, or sent because every
            // endpoint was failing) tell us nothing new and must not stretch the backoff.
        }
    }

    /** The current load, {@code cost × (pending + 1)}, in nanoseconds; for tests and diagnostics. */
    public synchronized double load() {
        return loadAt(ticker.nanoTime());
    }

    /** Requests picked and not yet completed. */
    public synchronized int pending() {
        return pending;
    }

    /** True when failure accrual currently skips this endpoint. */
    public synchronized boolean isFailing() {
        return state != State.HEALTHY;
    }

    /**
     * The endpoint's score for a pick at {@code now}: its load when available, a negative number when
     * it is due for its probe (probes win, so recovery is noticed at the first chance), and positive
     * infinity when failure accrual skips it.
     */
    synchronized double score(long now) {
        switch (state) {
            case HEALTHY:
                return loadAt(now);
            case BACKOFF:
                return now - probeAt >= 0 ? -1 : Double.POSITIVE_INFINITY;
            default:
                return Double.POSITIVE_INFINITY;
        }
    }

    /** Load for a forced pick, ignoring failure accrual. */
    synchronized double loadIgnoringAccrual(long now) {
        return loadAt(now);
    }

    /**
     * Counts a request as pending if the endpoint may take it at {@code now} and returns its pick, or
     * null. A probe-ready endpoint becomes PROBING, so nobody else probes it. With {@code force}, takes
     * the request whatever the failure state (the "every endpoint is failing" case).
     */
    synchronized Pick tryAcquire(long now, boolean force) {
        boolean probe = false;
        if (!force && state != State.HEALTHY) {
            if (state == State.PROBING || now - probeAt < 0) {
                return null;
            }
            state = State.PROBING;
            probe = true;
        }
        pending++;
        return new Pick(this, probe);
    }

    private void startBackoff(long now) {
        state = State.BACKOFF;
        probeAt = now + accrual.backoffNanos(backoffAttempts++);
        consecutiveFailures = 0;
    }

    private double loadAt(long now) {
        observe(now, 0);
        if (cost == 0 && pending != 0) {
            return PENALTY + pending;
        }
        return cost * (pending + 1);
    }

    private void observe(long now, double rtt) {
        long elapsed = Math.max(0, now - stamp);
        double w = Math.exp(-elapsed / decayNanos);
        if (rtt > cost) {
            cost = rtt;
        } else {
            cost = cost * w + rtt * (1 - w);
        }
        stamp = Math.max(stamp, now);
    }

    @Override
    public String toString() {
        return "BalancedEndpoint{" + endpoint.address() + ", load=" + load() + ", pending=" + pending()
                + (isFailing() ? ", failing" : "") + "}";
    }
}
