package io.meshj.examples.emojivoto;

import io.grpc.BindableService;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The emoji or the voting service as a program: one gRPC service behind a server, plain or meshed
 * according to the {@link Network}.
 */
final class GrpcApp implements RunningService {

    private final String name;
    private final Network network;
    private final Network.GrpcServer server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GrpcApp(String name, Network network, Network.GrpcServer server) {
        this.name = name;
        this.network = network;
        this.server = server;
    }

    /** Starts {@code service} on the network; the app owns the network from here on. */
    static GrpcApp start(String name, Network network, String listenAddress, int port, BindableService service)
            throws IOException {
        return new GrpcApp(name, network, network.serve(listenAddress, port, List.of(service)));
    }

    int port() {
        return server.address().getPort();
    }

    @Override
    public String readyLine() {
        return "emojivoto " + name + " ready (" + network.mode() + ") on " + Options.HostPort.of(server.address());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.close();
            network.close();
        }
    }
}
