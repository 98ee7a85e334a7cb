package io.meshj.examples.emojivoto;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.meshj.proxy.embedded.Mesh;
import io.meshj.proxy.embedded.MeshServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Embedded mode: the service meshes itself with meshj's library, no sidecar. Its gRPC servers are
 * {@link MeshServer}s (mTLS with the workload's certificate, Linkerd's inbound metrics, tap, and
 * registration with the controller as an endpoint of {@code MESHJ_SERVICE}); its channels resolve
 * {@code mesh:///} names through the controller and balance with P2C over mTLS.
 *
 * <p>Two things differ from plain mode, both from the library: a {@link MeshServer} listens on every
 * interface (it takes a port, not an address), and it registers at the port it is bound to, so the
 * service name clients dial carries the server's real port.
 */
final class EmbeddedNetwork implements Network {

    private final Mesh mesh;

    /** Takes ownership of {@code mesh}, which should already be ready ({@link Mesh#awaitReady}). */
    EmbeddedNetwork(Mesh mesh) {
        this.mesh = mesh;
    }

    @Override
    public Options.Mode mode() {
        return Options.Mode.EMBEDDED;
    }

    @Override
    public GrpcServer serve(String listenAddress, int port, List<BindableService> services) throws IOException {
        MeshServer.Builder builder = MeshServer.forAddress(mesh, new InetSocketAddress(listenAddress, port));
        services.forEach(builder::addService);
        MeshServer server = builder.start();
        InetSocketAddress bound = (InetSocketAddress) server.server().getListenSockets().get(0);
        // Closing leaves the controller's registry first, so callers stop picking this endpoint, then
        // drains for up to five seconds.
        return GrpcServer.of(bound, server::close);
    }

    @Override
    public ManagedChannel channel(String authority) {
        return mesh.channel(authority);
    }

    @Override
    public void close() {
        mesh.close();
    }
}
