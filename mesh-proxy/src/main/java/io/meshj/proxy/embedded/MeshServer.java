package io.meshj.proxy.embedded;

import static java.util.Objects.requireNonNull;

import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.meshj.proxy.internal.embedded.InboundObservers;
import io.meshj.tls.WorkloadIdentity;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A gRPC server in the mesh: mTLS with the workload's identity, the sidecar's inbound metrics and tap
 * for every call, the client's identity in {@link #PEER_IDENTITY}, and the workload registered with
 * the controller as an endpoint of its service while the server runs.
 *
 * <pre>{@code
 * MeshServer server = MeshServer.forPort(mesh, 8080).addService(new VotingService()).start();
 * ...
 * server.close();   // deregisters, then shuts the server down
 * }</pre>
 */
public final class MeshServer implements AutoCloseable {

    /**
     * The verified mesh identity of the client of the current call, in the handler's {@link Context};
     * absent when the client presented no certificate.
     */
    public static final Context.Key<WorkloadIdentity> PEER_IDENTITY = Context.key("meshj.peerIdentity");

    private final Server server;
    private final AutoCloseable registration;

    private MeshServer(Server server, AutoCloseable registration) {
        this.server = server;
        this.registration = registration;
    }

    /** A server of the process's default mesh ({@link Mesh#defaultMesh()}). */
    public static Builder forPort(int port) {
        return forPort(Mesh.defaultMesh(), port);
    }

    /** A server of {@code mesh} on {@code port} of every interface. */
    public static Builder forPort(Mesh mesh, int port) {
        requireNonNull(mesh, "mesh");
        return new Builder(mesh, Grpc.newServerBuilderForPort(port, mesh.serverCredentials()));
    }

    /** A server of {@code mesh} on {@code address} only (e.g. 127.0.0.1, or one interface). */
    public static Builder forAddress(Mesh mesh, java.net.InetSocketAddress address) {
        requireNonNull(mesh, "mesh");
        return new Builder(mesh, io.grpc.netty.NettyServerBuilder.forAddress(requireNonNull(address, "address"),
                mesh.serverCredentials()));
    }

    /** The port it listens on (the actual one when 0 was asked for). */
    public int port() {
        return server.getPort();
    }

    /** The gRPC server itself. */
    public Server server() {
        return server;
    }

    /** Leaves the registry (callers stop picking it) and starts a graceful shutdown. */
    public MeshServer shutdown() {
        closeRegistration();
        server.shutdown();
        return this;
    }

    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return server.awaitTermination(timeout, unit);
    }

    /** {@link #shutdown()}, waiting up to five seconds for calls in flight, then cutting the rest. */
    @Override
    public void close() {
        shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void closeRegistration() {
        try {
            registration.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Configures the gRPC server underneath; {@link #start} binds it and registers the workload. */
    public static final class Builder {
        private final Mesh mesh;
        private final ServerBuilder<?> builder;
        private final InboundObservers observers;

        private Builder(Mesh mesh, ServerBuilder<?> builder) {
            this.mesh = mesh;
            this.observers = mesh.inboundObservers();
            this.builder = builder
                    .addStreamTracerFactory(observers.tracerFactory())
                    .addTransportFilter(observers.transportFilter());
        }

        public Builder addService(BindableService service) {
            builder.addService(service);
            return this;
        }

        public Builder addService(ServerServiceDefinition service) {
            builder.addService(service);
            return this;
        }

        public Builder intercept(ServerInterceptor interceptor) {
            builder.intercept(interceptor);
            return this;
        }

        /** Anything else gRPC's builder offers (executor, limits, keepalive...). */
        public Builder configure(Consumer<ServerBuilder<?>> configurer) {
            configurer.accept(builder);
            return this;
        }

        /**
         * Binds the server and registers the workload with the controller at its port.
         *
         * @throws IOException when the port cannot be bound
         */
        public MeshServer start() throws IOException {
            // Installed last, so it runs first: every handler and interceptor sees the identity.
            builder.intercept(observers.identityInterceptor());
            Server server = builder.build().start();
            observers.setTargetAddr(mesh.registerAddress() + ":" + server.getPort());
            return new MeshServer(server, mesh.register(server.getPort()));
        }
    }
}
