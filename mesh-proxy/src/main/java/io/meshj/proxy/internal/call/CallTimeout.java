package io.meshj.proxy.internal.call;

import io.meshj.core.profile.Route;
import io.meshj.core.time.Durations;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The time a request's response may take to start: the listener's request timeout, shortened by its
 * route's timeout — both counted from the request head, the shorter wins, and it covers every attempt
 * of a retried request. Made only for a request that has a timeout; event loop only.
 */
final class CallTimeout implements Runnable {

    private final ProxyCall call;
    private final EventLoop loop;
    private ScheduledFuture<?> future;
    private long nanos;
    private String routeName;
    /** The limit running is the default wait for a response head, which any explicit timeout replaces. */
    private boolean byDefault;

    CallTimeout(ProxyCall call, EventLoop loop) {
        this.call = call;
        this.loop = loop;
    }

    /** The listener's request timeout for {@code call}, running from now; null when there is none. */
    static CallTimeout ofRequest(ProxyCall call, EventLoop loop, Optional<Duration> requestTimeout) {
        if (requestTimeout.isEmpty()) {
            return null;
        }
        CallTimeout t = new CallTimeout(call, loop);
        t.limit(requestTimeout.get().toNanos(), 0, null);
        return t;
    }

    /**
     * Applies a limit of {@code limitNanos} from the request head, {@code elapsedNanos} ago, unless a
     * shorter one runs. {@code route} is the route it comes from, or null for the listener's.
     */
    void limit(long limitNanos, long elapsedNanos, Route route) {
        if (future != null && !byDefault && limitNanos >= nanos) {
            if (limitNanos == nanos && route != null) {
                routeName = route.name(); // the route's limit is the one running out
            }
            return;
        }
        cancel();
        byDefault = false;
        nanos = limitNanos;
        routeName = route == null ? null : route.name();
        future = loop.schedule(this, Math.max(0, limitNanos - elapsedNanos), TimeUnit.NANOSECONDS);
    }

    /**
     * The default wait for a response head, {@code limitNanos} from now, when no explicit timeout runs
     * (the listener's request timeout or the route's: those replace it, even when longer).
     */
    void limitByDefault(long limitNanos) {
        if (future != null) {
            return;
        }
        nanos = limitNanos;
        routeName = null;
        byDefault = true;
        future = loop.schedule(this, limitNanos, TimeUnit.NANOSECONDS);
    }

    /** Whether a limit runs. */
    boolean isRunning() {
        return future != null;
    }

    void cancel() {
        if (future != null) {
            future.cancel(false);
            future = null;
        }
    }

    @Override
    public void run() {
        future = null;
        call.onTimeout();
    }

    /** What the request was told when its time ran out. */
    String describe() {
        return "no response within " + Durations.format(Duration.ofNanos(nanos))
                + (routeName != null ? " (the timeout of route " + routeName + ")"
                        : byDefault ? " of the request's end (the default response head timeout)" : "");
    }
}
