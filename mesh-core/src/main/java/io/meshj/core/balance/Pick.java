package io.meshj.core.balance;

import io.meshj.core.endpoint.Endpoint;

/**
 * One request's use of one endpoint, returned by {@link P2cBalancer#pick()}: the request is counted
 * as pending on the endpoint until its outcome is reported here, exactly once — {@link #onSuccess},
 * {@link #onFailure} or {@link #onCancel}. Later reports of the same pick are ignored, so a caller
 * whose error paths overlap cannot corrupt the endpoint's pending count.
 *
 * <p>The pick knows whether it is the endpoint's failure-accrual probe, so only the probe's outcome
 * decides whether a failing endpoint is restored; requests that were already in flight when it
 * tripped cannot cause a second probe or stretch its backoff.
 *
 * <p>Thread-safe: the outcome may be reported from any thread.
 */
public final class Pick {

    private final BalancedEndpoint target;
    private final boolean probe;
    // Guarded by target's monitor.
    boolean done;

    Pick(BalancedEndpoint target, boolean probe) {
        this.target = target;
        this.probe = probe;
    }

    /** The endpoint to send the request to. */
    public Endpoint endpoint() {
        return target.endpoint();
    }

    /** The balancer's view of that endpoint (load, pending requests, failure state). */
    public BalancedEndpoint balancedEndpoint() {
        return target;
    }

    /** True when this request is the probe of an endpoint that failure accrual had been skipping. */
    public boolean isProbe() {
        return probe;
    }

    /** The request succeeded; {@code rttNanos} is the time to the response headers. */
    public void onSuccess(long rttNanos) {
        target.complete(this, rttNanos, BalancedEndpoint.Outcome.SUCCESS);
    }

    /** The request failed: a connection error, or a response its route classifies as a failure. */
    public void onFailure(long rttNanos) {
        target.complete(this, rttNanos, BalancedEndpoint.Outcome.FAILURE);
    }

    /** The request ended without an outcome (the client went away): only the pending count changes. */
    public void onCancel() {
        target.complete(this, 0, BalancedEndpoint.Outcome.CANCEL);
    }
}
