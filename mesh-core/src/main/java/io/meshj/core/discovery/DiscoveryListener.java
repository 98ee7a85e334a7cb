package io.meshj.core.discovery;

import io.meshj.core.endpoint.EndpointUpdate;

/**
 * Receives the endpoint updates of one watch.
 *
 * <p>Threading: calls for one watch never overlap and arrive in order, on a thread of the source's
 * choosing (possibly the thread that called {@link DiscoverySource#watch}). Implementations must not
 * block: the source may be delivering to other watches on the same thread.
 */
@FunctionalInterface
public interface DiscoveryListener {

    /** Applies one update; the first one a watch delivers describes the current state. */
    void onUpdate(EndpointUpdate update);
}
