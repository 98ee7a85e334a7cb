package io.meshj.examples.emojivoto;

import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * Plain mode: the services know nothing of the mesh, exactly like the original emojivoto behind a
 * Linkerd proxy. Servers speak plaintext gRPC on the listen address (loopback by default: only the
 * sidecar's inbound side should reach them). Clients dial the sidecar's outbound listener in
 * plaintext and name the service they want in {@code :authority}; the sidecar resolves it, balances,
 * and adds mTLS. Without a proxy, clients dial the service's address directly.
 */
final class PlainNetwork implements Network {

    private final Optional<Options.HostPort> proxy;

    PlainNetwork(Optional<Options.HostPort> proxy) {
        this.proxy = proxy;
    }

    @Override
    public Options.Mode mode() {
        return Options.Mode.PLAIN;
    }

    @Override
    public GrpcServer serve(String listenAddress, int port, List<BindableService> services) throws IOException {
        // Grpc.newServerBuilderForPort would bind every interface; Netty's builder takes the address.
        NettyServerBuilder builder = NettyServerBuilder.forAddress(
                new InetSocketAddress(listenAddress, port), InsecureServerCredentials.create());
        services.forEach(builder::addService);
        Server server = builder.build().start();
        InetSocketAddress bound = (InetSocketAddress) server.getListenSockets().get(0);
        return GrpcServer.of(bound, () -> Graceful.stop(server));
    }

    @Override
    public ManagedChannel channel(String authority) {
        // "dns:///" spelled out: a bare "emoji-svc.emojivoto:8081" would first be read as a URI whose
        // scheme is "emoji-svc.emojivoto".
        return proxy.map(p -> Grpc.newChannelBuilder("dns:///" + p, InsecureChannelCredentials.create())
                        .overrideAuthority(authority)
                        .build())
                .orElseGet(() -> Grpc.newChannelBuilder("dns:///" + authority, InsecureChannelCredentials.create())
                        .build());
    }

    @Override
    public void close() {
        // Nothing held: the sidecar is someone else's process.
    }
}
