package io.meshj.core.discovery;

import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The live endpoints of one name, kept current by a watch on a {@link DiscoverySource}. Obtained from
 * a {@link ResolutionCache}, which closes it once it has no subscribers and nobody has resolved the
 * name for the idle timeout.
 *
 * <p>{@link #endpoints()} is a volatile read of an immutable snapshot: cheap enough for every request.
 */
public final class Resolution implements DiscoveryListener {

    private static final System.Logger LOG = System.getLogger(Resolution.class.getName());

    private final Authority authority;
    private final Object lock = new Object();
    private final List<Consumer<EndpointSet>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile EndpointSet endpoints = EndpointSet.empty();
    private volatile boolean resolved;
    private volatile Watch watch;
    private volatile boolean closed;

    Resolution(Authority authority) {
        this.authority = authority;
    }

    /** Starts the watch once; called outside any cache lock because a source may deliver right away. */
    void startIfNeeded(DiscoverySource source) {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        Watch w = source.watch(authority, this);
        watch = w;
        if (closed) {
            w.close();
        }
    }

    /** The name being resolved. */
    public Authority authority() {
        return authority;
    }

    /** The endpoints as of the last update; empty (and not {@code exists()}) before the first. */
    public EndpointSet endpoints() {
        return endpoints;
    }

    /** True once the source has delivered its first update. */
    public boolean isResolved() {
        return resolved;
    }

    /** True once the cache has closed this resolution; its endpoints no longer change. */
    public boolean isClosed() {
        return closed;
    }

    boolean isPinned() {
        return !listeners.isEmpty();
    }

    void addListener(Consumer<EndpointSet> listener) {
        listeners.add(listener);
    }

    void removeListener(Consumer<EndpointSet> listener) {
        listeners.remove(listener);
    }

    /**
     * Gives a new listener the current state. Under the lock that updates take too, so a listener
     * added while an update arrives sees states in order and ends on the latest one.
     */
    void deliverCurrent(Consumer<EndpointSet> listener) {
        synchronized (lock) {
            if (resolved && !closed && listeners.contains(listener)) {
                notify(listener, endpoints);
            }
        }
    }

    @Override
    public void onUpdate(EndpointUpdate update) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            EndpointSet next = endpoints.apply(update);
            endpoints = next;
            resolved = true;
            for (Consumer<EndpointSet> listener : listeners) {
                notify(listener, next);
            }
        }
    }

    void close() {
        closed = true;
        Watch w = watch;
        if (w != null) {
            w.close();
        }
    }

    private void notify(Consumer<EndpointSet> listener, EndpointSet state) {
        try {
            listener.accept(state);
        } catch (RuntimeException e) {
            // One broken subscriber must not cut the others off from updates.
            LOG.log(System.Logger.Level.ERROR, "endpoint listener of " + authority + " failed", e);
        }
    }

    @Override
    public String toString() {
        return "Resolution{" + authority + ", " + endpoints + (closed ? ", closed" : "") + "}";
    }
}
