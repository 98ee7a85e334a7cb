package io.meshj.core.endpoint;

import static java.util.Objects.requireNonNull;

import io.meshj.core.name.Authority;
import java.util.List;

/**
 * One change to the endpoints of a watched service, with the semantics of Linkerd's destination API:
 * {@link Add} adds endpoints or replaces those with the same address, {@link Remove} removes
 * addresses, and {@link NoEndpoints} empties the set, saying whether the service exists at all.
 */
public sealed interface EndpointUpdate {

    /** Adds these endpoints, replacing any already present with the same address. */
    record Add(List<Endpoint> endpoints) implements EndpointUpdate {
        public Add {
            endpoints = List.copyOf(requireNonNull(endpoints, "endpoints"));
        }
    }

    /** Removes the endpoints with these addresses; unknown addresses are ignored. */
    record Remove(List<Authority> addresses) implements EndpointUpdate {
        public Remove {
            addresses = List.copyOf(requireNonNull(addresses, "addresses"));
        }
    }

    /**
     * The service has no endpoints now. {@code exists} is true when the service is known but has no
     * ready endpoints, false when no such service exists (callers may then fall back to the name as written).
     */
    record NoEndpoints(boolean exists) implements EndpointUpdate {
    }
}
