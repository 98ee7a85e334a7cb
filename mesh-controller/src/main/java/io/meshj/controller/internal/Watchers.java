package io.meshj.controller.internal;

import io.meshj.core.discovery.DiscoveryListener;
import io.meshj.core.discovery.Watch;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The open watches of a discovery backend, by name. Each watch remembers the endpoint set it was last
 * told, so a backend that recomputes a name's whole state only has to hand the new state to
 * {@link #publish}: each watcher gets the difference, and nothing when nothing changed.
 *
 * <p>Not thread-safe by itself: every call happens with the backend's {@code lock} held, which a
 * watch's {@code close()} takes too.
 */
public final class Watchers {

    private final Object lock;
    private final Map<Authority, List<Entry>> byName = new HashMap<>();

    public Watchers(Object lock) {
        this.lock = lock;
    }

    /** Adds a watch of {@code name} and tells it {@code now}, its first update. */
    public Watch add(Authority name, DiscoveryListener listener, EndpointSet now) {
        Entry e = new Entry(name, listener);
        byName.computeIfAbsent(name, k -> new ArrayList<>()).add(e);
        e.delivered = now;
        listener.onUpdate(now.asInitialUpdate());
        return e;
    }

    /** Tells every watch of {@code name} how its state changed to {@code now}. */
    public void publish(Authority name, EndpointSet now) {
        List<Entry> entries = byName.get(name);
        if (entries == null) {
            return;
        }
        for (Entry e : entries) {
            for (EndpointUpdate u : e.delivered.updatesTo(now)) {
                e.listener.onUpdate(u);
            }
            e.delivered = now;
        }
    }

    /** The names watched now (a copy: publishing may be interleaved with it). */
    public List<Authority> names() {
        return List.copyOf(byName.keySet());
    }

    public void clear() {
        byName.clear();
    }

    private final class Entry implements Watch {
        final Authority name;
        final DiscoveryListener listener;
        EndpointSet delivered;

        Entry(Authority name, DiscoveryListener listener) {
            this.name = name;
            this.listener = listener;
        }

        @Override
        public void close() {
            synchronized (lock) {
                List<Entry> entries = byName.get(name);
                if (entries != null) {
                    entries.remove(this);
                    if (entries.isEmpty()) {
                        byName.remove(name);
                    }
                }
            }
        }
    }
}
