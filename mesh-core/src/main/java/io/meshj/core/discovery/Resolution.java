package io.meshj.core.discovery;

import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The live endpoints of one name, kept current by a watch on a {@link DiscoverySource}. Obtained from
 * a {@link ResolutionCache}, which closes it once nobody has resolved the name for its idle timeout.
 *
 * <p>{@link #endpoints()} is a volatile read of an immutable snapshot: cheap enough for every request.
 */
public final class Resolution implements DiscoveryListener {

    private final Authority authority;
    private final List<Consumer<EndpointSet>> listeners = new CopyOnWriteArrayList<>();
    private volatile EndpointSet endpoints = EndpointSet.empty();
    private volatile boolean resolved;
    private volatile Watch watch;
    private volatile boolean closed;

    Resolution(Authority authority) {
        this.authority = authority;
    }

    void start(DiscoverySource source) {
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

    /** True once the cache has evicted this resolution; its endpoints no longer change. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Calls {@code listener} with the current endpoints after every update, on the source's delivery
     * thread (see {@link DiscoveryListener}); it must not block. If the first update has already
     * arrived, the listener is called with the current endpoints right away, on this thread.
     */
    public void addListener(Consumer<EndpointSet> listener) {
        listeners.add(listener);
        if (resolved) {
            listener.accept(endpoints);
        }
    }

    public void removeListener(Consumer<EndpointSet> listener) {
        listeners.remove(listener);
    }

    @Override
    public void onUpdate(EndpointUpdate update) {
        if (closed) {
            return;
        }
        EndpointSet next = endpoints.apply(update);
        endpoints = next;
        resolved = true;
        for (Consumer<EndpointSet> listener : listeners) {
            listener.accept(next);
        }
    }

    void close() {
        closed = true;
        Watch w = watch;
        if (w != null) {
            w.close();
        }
    }

    @Override
    public String toString() {
        return "Resolution{" + authority + ", " + endpoints + (closed ? ", closed" : "") + "}";
    }
}
