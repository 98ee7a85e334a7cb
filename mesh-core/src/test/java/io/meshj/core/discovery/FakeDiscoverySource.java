package io.meshj.core.discovery;

import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A discovery source driven by the test: it delivers synchronously on the caller's thread and counts
 * open watches, so tests can see exactly when a cache starts and stops watching.
 */
final class FakeDiscoverySource implements DiscoverySource {

    private final Map<Authority, EndpointSet> services = new HashMap<>();
    private final Map<Authority, List<DiscoveryListener>> watchers = new HashMap<>();
    private int watchesStarted;

    synchronized void set(Authority service, EndpointSet endpoints) {
        EndpointSet before = services.getOrDefault(service, EndpointSet.empty());
        services.put(service, endpoints);
        for (EndpointUpdate u : before.updatesTo(endpoints)) {
            watchers.getOrDefault(service, List.of()).forEach(l -> l.onUpdate(u));
        }
    }

    synchronized int openWatches(Authority service) {
        return watchers.getOrDefault(service, List.of()).size();
    }

    synchronized int watchesStarted() {
        return watchesStarted;
    }

    @Override
    public synchronized Watch watch(Authority authority, DiscoveryListener listener) {
        watchesStarted++;
        watchers.computeIfAbsent(authority, a -> new ArrayList<>()).add(listener);
        listener.onUpdate(services.getOrDefault(authority, EndpointSet.empty()).asInitialUpdate());
        return () -> {
            synchronized (FakeDiscoverySource.this) {
                watchers.getOrDefault(authority, new ArrayList<>()).remove(listener);
            }
        };
    }

    @Override
    public void close() {
    }
}
