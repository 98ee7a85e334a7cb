package io.meshj.core.endpoint;

import static java.util.Objects.requireNonNull;

import io.meshj.core.name.Authority;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The endpoints of one service at one moment, built by applying {@link EndpointUpdate}s. Immutable:
 * {@link #apply} returns a new set (or this one when nothing changed), so a snapshot can be handed to
 * any thread. Iteration order is the order endpoints were first added.
 */
public final class EndpointSet {

    private static final EndpointSet UNKNOWN = new EndpointSet(Collections.emptyMap(), false);

    private final Map<Authority, Endpoint> endpoints;
    private final boolean exists;

    private EndpointSet(Map<Authority, Endpoint> endpoints, boolean exists) {
        this.endpoints = endpoints;
        this.exists = exists;
    }

    /** The empty set of a service nobody has heard of yet. */
    public static EndpointSet empty() {
        return UNKNOWN;
    }

    /** A set of a known service holding exactly these endpoints. */
    public static EndpointSet of(Collection<Endpoint> endpoints) {
        return empty().apply(new EndpointUpdate.Add(List.copyOf(endpoints)));
    }

    /** Returns the set after {@code update}. */
    public EndpointSet apply(EndpointUpdate update) {
        requireNonNull(update, "update");
        if (update instanceof EndpointUpdate.Add add) {
            if (add.endpoints().isEmpty()) {
                return exists ? this : new EndpointSet(endpoints, true);
            }
            Map<Authority, Endpoint> next = new LinkedHashMap<>(endpoints);
            for (Endpoint e : add.endpoints()) {
                next.put(e.address(), e);
            }
            return new EndpointSet(Collections.unmodifiableMap(next), true);
        }
        if (update instanceof EndpointUpdate.Remove remove) {
            Map<Authority, Endpoint> next = null;
            for (Authority address : remove.addresses()) {
                if (endpoints.containsKey(address)) {
                    if (next == null) {
                        next = new LinkedHashMap<>(endpoints);
                    }
                    next.remove(address);
                }
            }
            return next == null ? this : new EndpointSet(Collections.unmodifiableMap(next), exists);
        }
        EndpointUpdate.NoEndpoints none = (EndpointUpdate.NoEndpoints) update;
        if (endpoints.isEmpty() && exists == none.exists()) {
            return this;
        }
        return none.exists() ? new EndpointSet(Collections.emptyMap(), true) : UNKNOWN;
    }

    /**
     * The updates that turn this set into {@code target}: at most an {@code Add} of new or changed
     * endpoints followed by a {@code Remove} of vanished addresses — in that order, so a watcher that
     * applies them one by one never passes through an empty set when endpoints are replaced — or a
     * single {@code NoEndpoints} when the target is empty. Empty when the sets are equal. Sources that learn whole snapshots (a file, a
     * registry) use it to send watchers deltas rather than full states.
     */
    public List<EndpointUpdate> updatesTo(EndpointSet target) {
        requireNonNull(target, "target");
        if (equals(target)) {
            return List.of();
        }
        if (target.isEmpty()) {
            return List.of(new EndpointUpdate.NoEndpoints(target.exists()));
        }
        List<EndpointUpdate> updates = new ArrayList<>(2);
        List<Endpoint> added = new ArrayList<>();
        for (Endpoint e : target.endpoints.values()) {
            if (!e.equals(endpoints.get(e.address()))) {
                added.add(e);
            }
        }
        if (!added.isEmpty()) {
            updates.add(new EndpointUpdate.Add(added));
        }
        List<Authority> removed = new ArrayList<>();
        for (Authority address : endpoints.keySet()) {
            if (!target.endpoints.containsKey(address)) {
                removed.add(address);
            }
        }
        if (!removed.isEmpty()) {
            updates.add(new EndpointUpdate.Remove(removed));
        }
        return updates;
    }

    /**
     * The one update that describes this set to a new watcher: an {@code Add} of every endpoint, or
     * {@code NoEndpoints} saying whether the service exists.
     */
    public EndpointUpdate asInitialUpdate() {
        return isEmpty() ? new EndpointUpdate.NoEndpoints(exists)
                : new EndpointUpdate.Add(List.copyOf(endpoints.values()));
    }

    /** The endpoints, in the order they were first added. */
    public Collection<Endpoint> endpoints() {
        return endpoints.values();
    }

    /** The endpoint at {@code address}, or {@code null}. */
    public Endpoint get(Authority address) {
        return endpoints.get(address);
    }

    public int size() {
        return endpoints.size();
    }

    public boolean isEmpty() {
        return endpoints.isEmpty();
    }

    /** False when discovery said the service does not exist (or has said nothing yet). */
    public boolean exists() {
        return exists;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EndpointSet that && exists == that.exists && endpoints.equals(that.endpoints);
    }

    @Override
    public int hashCode() {
        return endpoints.hashCode() * 31 + Boolean.hashCode(exists);
    }

    @Override
    public String toString() {
        return "EndpointSet{exists=" + exists + ", " + endpoints.values() + "}";
    }
}
