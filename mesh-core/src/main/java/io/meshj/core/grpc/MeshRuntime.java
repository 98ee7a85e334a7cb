package io.meshj.core.grpc;

import io.meshj.core.discovery.DiscoverySource;

/**
 * What a {@code mesh:///} channel takes from the mesh it belongs to: the discovery its names resolve
 * through, and an observer of its calls (metrics, tap).
 *
 * <p>A channel built by {@code Mesh.channel(...)} carries its mesh as the name-resolver argument
 * {@link MeshNameResolverProvider#MESH}. Any other {@code mesh:///} channel uses the process's default
 * runtime, found through {@link java.util.ServiceLoader}: mesh-proxy provides one, the default
 * {@code Mesh}, configured from the {@code MESHJ_*} environment and created on first use.
 */
public interface MeshRuntime {

    /** The discovery names resolve through. */
    DiscoverySource discovery();

    /**
     * Follows the service profile of {@code authority} (route timeouts and retries, applied through the
     * channel's service config); null when this mesh has no profiles.
     */
    default io.meshj.core.discovery.Watch watchProfile(io.meshj.core.name.Authority authority,
            java.util.function.Consumer<io.meshj.core.profile.ServiceProfile> listener) {
        return null;
    }

    /** Observes the calls of the channel for {@code authority}; null to observe nothing. */
    default EndpointObserver observer(String authority) {
        return null;
    }
}
