package io.meshj.proxy.internal.embedded;

import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.grpc.EndpointObserver;
import io.meshj.core.grpc.MeshRuntime;
import io.meshj.proxy.embedded.Mesh;

/**
 * The runtime of {@code mesh:///} channels built without a mesh of their own: the process's default
 * {@link Mesh}, created on first use. Registered for {@link java.util.ServiceLoader}.
 */
public final class DefaultMeshRuntime implements MeshRuntime {

    @Override
    public DiscoverySource discovery() {
        return Mesh.defaultMesh().discovery();
    }

    @Override
    public EndpointObserver observer(String authority) {
        return Mesh.defaultMesh().observer(authority);
    }
}
