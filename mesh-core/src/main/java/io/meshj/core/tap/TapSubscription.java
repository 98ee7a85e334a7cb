package io.meshj.core.tap;

import io.meshj.core.time.Ticker;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscriber's view of a {@link TapBus}: the events of the requests its filter matched, in a
 * bounded queue. Publishers never wait for it: an event that finds the queue full is dropped and
 * counted ({@link #takeLost()}), so a subscriber that stops reading costs the traffic nothing.
 *
 * <p>Admission follows Linkerd's tap: at most {@code maxRps} new requests per second (a token bucket on
 * the bus's ticker), and at most {@code limit} requests in all; the subscription is {@link #isDone()
 * done} once that many have been admitted and all of them ended. Read it by polling, or register a
 * listener with {@link #onAvailable} that is told when events wait (it should hand the draining to
 * another thread: it runs on the publisher's, usually an event loop).
 */
public final class TapSubscription implements AutoCloseable {

    private final TapBus bus;
    private final TapFilter filter;
    private final long limit;
    private final double maxRps;
    private final Ticker ticker;
    private final ArrayBlockingQueue<TapEvent> queue;
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong lostTotal = new AtomicLong();
    private final AtomicBoolean signalled = new AtomicBoolean();
    private volatile Runnable listener;
    private volatile boolean closed;
    private volatile boolean done;
    // Admission state, guarded by this.
    private long admitted;
    private long open;
    private double tokens;
    private long lastRefill;

    TapSubscription(TapBus bus, Builder b) {
        this.bus = bus;
        this.filter = b.filter;
        this.limit = b.limit;
        this.maxRps = b.maxRps;
        this.ticker = bus.ticker();
        this.queue = new ArrayBlockingQueue<>(b.capacity);
        this.tokens = Math.max(1, maxRps);
        this.lastRefill = ticker.nanoTime();
    }

    /**
     * Decides whether this subscriber takes a new request: the filter matches, the rate allows, the
     * limit is not reached. An admitted request is open until its {@link #ended}.
     */
    boolean admit(TapEvent.RequestInit r) {
        if (closed || !filter.matches(r)) {
            return false;
        }
        synchronized (this) {
            if (limit > 0 && admitted >= limit) {
                return false;
            }
            if (maxRps > 0) {
                long now = ticker.nanoTime();
                tokens = Math.min(Math.max(1, maxRps), tokens + (now - lastRefill) * maxRps / 1e9);
                lastRefill = now;
                if (tokens < 1) {
                    return false;
                }
                tokens -= 1;
            }
            admitted++;
            open++;
        }
        return true;
    }

    /** An admitted request ended (its last event was offered). */
    void ended() {
        boolean nowDone;
        synchronized (this) {
            open--;
            nowDone = limit > 0 && admitted >= limit && open == 0;
        }
        if (nowDone) {
            done = true;
            signal(true);
        }
    }

    /** Whether this subscription could take a request like this now (its event not built yet). */
    boolean mayTake(String method, String authority, String path) {
        return !closed && !done && filter.mayMatch(method, authority, path);
    }

    /** Queues {@code e} if there is room; else counts it lost. Never blocks. */
    void offer(TapEvent e) {
        if (closed) {
            return;
        }
        if (queue.offer(e)) {
            signal(false);
        } else {
            lost.incrementAndGet();
            lostTotal.incrementAndGet();
            bus.lost();
        }
    }

    private void signal(boolean always) {
        Runnable l = listener;
        if (l != null && (signalled.compareAndSet(false, true) || always)) {
            l.run();
        }
    }

    /**
     * Calls {@code listener} when events wait: once after each {@link #poll()} that returned null, when
     * the next event arrives, and when the subscription becomes done. It runs on the publisher's
     * thread and must return at once (e.g. schedule a drain on an executor).
     */
    public void onAvailable(Runnable listener) {
        this.listener = listener;
        if (!queue.isEmpty() || done) {
            signal(true);
        }
    }

    /** The next event, or null when none waits. */
    public TapEvent poll() {
        TapEvent e = queue.poll();
        if (e == null) {
            signalled.set(false);
            e = queue.poll(); // one that arrived while the flag was still set, and so signalled nobody
            if (e != null) {
                signalled.set(true);
            }
        }
        return e;
    }

    /** The next event, waiting up to {@code timeout} for one; null if none came. For blocking readers. */
    public TapEvent poll(long timeout, TimeUnit unit) throws InterruptedException {
        return queue.poll(timeout, unit);
    }

    /** Events lost since the last call (the queue was full), and resets the count. */
    public long takeLost() {
        return lost.getAndSet(0);
    }

    /** Events lost since the subscription opened. */
    public long lostTotal() {
        return lostTotal.get();
    }

    /** True once {@code limit} requests were admitted and all of them ended. */
    public boolean isDone() {
        return done;
    }

    /** Stops the subscription: no further events are queued. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            bus.remove(this);
            queue.clear();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** How to open a subscription; from {@link TapBus#subscribe}. */
    public static final class Builder {
        private final TapBus bus;
        private final TapFilter filter;
        private long limit;
        private double maxRps;
        private int capacity = 1024;

        Builder(TapBus bus, TapFilter filter) {
            this.bus = bus;
            this.filter = filter;
        }

        /** At most this many requests in all; 0 (the default): no limit. */
        public Builder limit(long limit) {
            if (limit < 0) {
                throw new IllegalArgumentException("limit must not be negative: " + limit);
            }
            this.limit = limit;
            return this;
        }

        /** At most this many new requests per second; 0 (the default): no limit. */
        public Builder maxRps(double maxRps) {
            if (maxRps < 0 || Double.isNaN(maxRps) || Double.isInfinite(maxRps)) {
                throw new IllegalArgumentException("maxRps must be a non-negative number: " + maxRps);
            }
            this.maxRps = maxRps;
            return this;
        }

        /** Events held for a reader that falls behind before they are dropped (default 1024). */
        public Builder capacity(int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("capacity must be positive: " + capacity);
            }
            this.capacity = capacity;
            return this;
        }

        public TapSubscription open() {
            TapSubscription s = new TapSubscription(bus, this);
            bus.add(s);
            return s;
        }
    }
}
