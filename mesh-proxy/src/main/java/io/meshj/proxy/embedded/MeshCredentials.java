package io.meshj.proxy.embedded;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;

/**
 * gRPC credentials of the process's default mesh ({@link Mesh#defaultMesh()}, configured from the
 * {@code MESHJ_*} environment), for apps that keep gRPC-Java's own builders:
 *
 * <pre>{@code
 * ManagedChannel ch = Grpc.newChannelBuilder("mesh:///voting-svc.emojivoto:8080", MeshCredentials.channel()).build();
 * Server s = Grpc.newServerBuilderForPort(8080, MeshCredentials.server()).addService(svc).build().start();
 * }</pre>
 *
 * A server built this way has mTLS, but no metrics, tap or registration: {@link MeshServer} adds them.
 */
public final class MeshCredentials {

    private MeshCredentials() {
    }

    /** mTLS as the default mesh's workload; servers must present the identity discovery gives them. */
    public static ChannelCredentials channel() {
        return Mesh.defaultMesh().channelCredentials();
    }

    /** mTLS as the default mesh's workload; clients of its trust domain are identified. */
    public static ServerCredentials server() {
        return Mesh.defaultMesh().serverCredentials();
    }
}
