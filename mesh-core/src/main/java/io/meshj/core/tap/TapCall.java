package io.meshj.core.tap;

/**
 * A tapped request's way to its subscribers: the response events go to exactly the subscriptions that
 * took its head. {@link #NONE} (nobody took it) ignores everything, so a publisher can hold one
 * unconditionally.
 */
public final class TapCall {

    /** The call of a request nobody taps. */
    public static final TapCall NONE = new TapCall(new TapSubscription[0]);

    private final TapSubscription[] subscriptions;
    private boolean ended;

    TapCall(TapSubscription[] subscriptions) {
        this.subscriptions = subscriptions;
    }

    /** True when some subscriber takes this request's events. */
    public boolean isTapped() {
        return subscriptions.length != 0;
    }

    public void responseInit(TapEvent.ResponseInit event) {
        if (ended) {
            return;
        }
        for (TapSubscription s : subscriptions) {
            s.offer(event);
        }
    }

    /** The last event of the request; later ones are ignored. */
    public void responseEnd(TapEvent.ResponseEnd event) {
        if (ended) {
            return;
        }
        ended = true;
        for (TapSubscription s : subscriptions) {
            s.offer(event);
            s.ended();
        }
    }
}
