package io.meshj.core.discovery;

import io.meshj.core.name.Authority;

/**
 * A backend that knows which endpoints stand behind a name: a static file, the controller's
 * destination API, Kubernetes, the local registry. Implementations must pass the contract tests in
 * {@code DiscoverySourceContract} (mesh-core test-jar).
 *
 * <p>A watch first delivers exactly one update describing the current state — an
 * {@link io.meshj.core.endpoint.EndpointUpdate.Add Add} of every endpoint, or
 * {@link io.meshj.core.endpoint.EndpointUpdate.NoEndpoints NoEndpoints} saying whether the service
 * exists — and then each change, in order. A source that loses its backend keeps its watchers on the
 * last state it delivered rather than emptying them: the control plane must never take traffic down.
 *
 * <p>{@link #watch} never blocks and may be called from any thread.
 */
public interface DiscoverySource extends AutoCloseable {

    /**
     * Starts watching {@code authority}. The source normalises the authority the same way it
     * normalises its own keys, so {@code web-svc.emojivoto:8080} and
     * {@code web-svc.emojivoto.svc.cluster.local:8080} watch the same service.
     */
    Watch watch(Authority authority, DiscoveryListener listener);

    /** Stops every watch and releases the source's threads. */
    @Override
    void close();
}
