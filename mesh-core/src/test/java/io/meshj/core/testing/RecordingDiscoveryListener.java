package io.meshj.core.testing;

import io.meshj.core.discovery.DiscoveryListener;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import java.util.ArrayList;
import java.util.List;

/**
 * Records every update a watch delivers and folds them into the resulting {@link EndpointSet}, the
 * way OkHttp's {@code EventRecorder} records calls. Thread-safe.
 */
public final class RecordingDiscoveryListener implements DiscoveryListener {

    private final List<EndpointUpdate> updates = new ArrayList<>();
    private EndpointSet state = EndpointSet.empty();

    @Override
    public synchronized void onUpdate(EndpointUpdate update) {
        updates.add(update);
        state = state.apply(update);
    }

    public synchronized List<EndpointUpdate> updates() {
        return List.copyOf(updates);
    }

    /** The set the updates so far describe. */
    public synchronized EndpointSet state() {
        return state;
    }

    public synchronized int count() {
        return updates.size();
    }

    public synchronized EndpointUpdate last() {
        return updates.isEmpty() ? null : updates.get(updates.size() - 1);
    }
}
