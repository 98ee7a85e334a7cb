package io.meshj.core.tap;

import static java.util.Objects.requireNonNull;

import io.meshj.core.time.Ticker;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a data plane publishes the requests it sees, and tap subscribers find them. A publisher asks
 * {@link #hasSubscribers()} first — a single volatile read — and builds events only when it is true,
 * so tap costs nothing while nobody taps. With subscribers, {@link #requestInit} offers a request's
 * head to every subscription whose filter, rate and limit admit it, and returns a {@link TapCall}
 * that carries the request's later events to those subscriptions alone.
 *
 * <p>Thread-safe: publishers call from any thread (event loops); subscriptions are a copy-on-write
 * array because they change rarely and are read on every request.
 */
public final class TapBus {

    private static final TapSubscription[] NONE = new TapSubscription[0];

    private final Ticker ticker;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong lostEvents = new AtomicLong();
    private volatile TapSubscription[] subscriptions = NONE;

    private TapBus(Ticker ticker) {
        this.ticker = ticker;
    }

    public static TapBus create() {
        return new TapBus(Ticker.system());
    }

    /** A bus whose rate limits read time from {@code ticker} (tests move it by hand). */
    public static TapBus create(Ticker ticker) {
        return new TapBus(requireNonNull(ticker, "ticker"));
    }

    /** True while anyone subscribes; publishers skip tap entirely when false. */
    public boolean hasSubscribers() {
        return subscriptions.length != 0;
    }

    /**
     * Whether some subscriber could take a request with this method, authority and path: checked before
     * its event is built, so that a tap of a rare path does not make every request build one.
     */
    public boolean wantsRequest(String method, String authority, String path) {
        for (TapSubscription s : subscriptions) {
            if (s.mayTake(method, authority, path)) {
                return true;
            }
        }
        return false;
    }

    /** Open subscriptions now. */
    public int subscriberCount() {
        return subscriptions.length;
    }

    /** Events dropped since the bus was made, over all subscriptions, because a subscriber fell behind. */
    public long lostEvents() {
        return lostEvents.get();
    }

    void lost() {
        lostEvents.incrementAndGet();
    }

    /** Starts a subscription for requests matching {@code filter}; finish with {@code open()}. */
    public TapSubscription.Builder subscribe(TapFilter filter) {
        return new TapSubscription.Builder(this, requireNonNull(filter, "filter"));
    }

    /** The shared part of a new tapped request's events, with a fresh id. */
    public TapRequest request(TapDirection direction, TapPeer source, TapPeer destination, boolean tls) {
        return new TapRequest("0:" + sequence.incrementAndGet(), direction, source, destination, tls);
    }

    /**
     * Offers a request's head to the subscribers; returns the call to report its response on, or
     * {@link TapCall#NONE} when no subscriber took it.
     */
    public TapCall requestInit(TapEvent.RequestInit event) {
        TapSubscription[] subs = subscriptions;
        TapSubscription[] taken = null;
        int n = 0;
        for (TapSubscription s : subs) {
            if (s.admit(event)) {
                if (taken == null) {
                    taken = new TapSubscription[subs.length];
                }
                taken[n++] = s;
                s.offer(event);
            }
        }
        return n == 0 ? TapCall.NONE : new TapCall(n == taken.length ? taken : Arrays.copyOf(taken, n));
    }

    Ticker ticker() {
        return ticker;
    }

    synchronized void add(TapSubscription s) {
        TapSubscription[] next = Arrays.copyOf(subscriptions, subscriptions.length + 1);
        next[next.length - 1] = s;
        subscriptions = next;
    }

    synchronized void remove(TapSubscription s) {
        TapSubscription[] cur = subscriptions;
        for (int i = 0; i < cur.length; i++) {
            if (cur[i] == s) {
                TapSubscription[] next = new TapSubscription[cur.length - 1];
                System.arraycopy(cur, 0, next, 0, i);
                System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
                subscriptions = next.length == 0 ? NONE : next;
                return;
            }
        }
    }
}
