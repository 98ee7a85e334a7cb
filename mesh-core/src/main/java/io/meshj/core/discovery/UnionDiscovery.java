package io.meshj.core.discovery;

import static java.util.Objects.requireNonNull;

import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Two discovery sources as one: a name's endpoints are those of both (the second's entry wins for an
 * address both list), and it exists if either source knows it. The controller's local mode serves its
 * static entries and its registered workloads this way.
 *
 * <p>A watch delivers its first update once both sources have answered, then the net change of each
 * update from either source.
 */
public final class UnionDiscovery implements DiscoverySource {

    private final DiscoverySource first;
    private final DiscoverySource second;

    public UnionDiscovery(DiscoverySource first, DiscoverySource second) {
        this.first = requireNonNull(first, "first");
        this.second = requireNonNull(second, "second");
    }

    @Override
    public Watch watch(Authority authority, DiscoveryListener listener) {
        UnionWatch w = new UnionWatch(listener);
        w.watches[0] = first.watch(authority, u -> w.onUpdate(0, u));
        w.watches[1] = second.watch(authority, u -> w.onUpdate(1, u));
        return w;
    }

    @Override
    public void close() {
        first.close();
        second.close();
    }

    private static final class UnionWatch implements Watch {
        private final DiscoveryListener listener;
        private final Watch[] watches = new Watch[2];
        private final EndpointSet[] parts = new EndpointSet[2];
        private EndpointSet delivered;
        private boolean closed;

        UnionWatch(DiscoveryListener listener) {
            this.listener = listener;
        }

        synchronized void onUpdate(int source, EndpointUpdate update) {
            if (closed) {
                return;
            }
            parts[source] = (parts[source] == null ? EndpointSet.empty() : parts[source]).apply(update);
            if (parts[0] == null || parts[1] == null) {
                return; // the first update waits for both answers
            }
            EndpointSet merged = union(parts[0], parts[1]);
            List<EndpointUpdate> updates;
            if (delivered == null) {
                updates = List.of(merged.asInitialUpdate());
            } else {
                updates = delivered.updatesTo(merged);
            }
            delivered = merged;
            for (EndpointUpdate u : updates) {
                listener.onUpdate(u);
            }
        }

        private static EndpointSet union(EndpointSet a, EndpointSet b) {
            if (a.isEmpty() && b.isEmpty()) {
                return EndpointSet.empty().apply(new EndpointUpdate.NoEndpoints(a.exists() || b.exists()));
            }
            Map<Authority, Endpoint> all = new LinkedHashMap<>();
            for (Endpoint e : a.endpoints()) {
                all.put(e.address(), e);
            }
            for (Endpoint e : b.endpoints()) {
                all.put(e.address(), e);
            }
            return EndpointSet.of(new ArrayList<>(all.values()));
        }

        @Override
        public void close() {
            synchronized (this) {
                closed = true;
            }
            for (Watch w : watches) {
                if (w != null) {
                    w.close();
                }
            }
        }
    }
}
