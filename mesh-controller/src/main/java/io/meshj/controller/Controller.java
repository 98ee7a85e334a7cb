package io.meshj.controller;

import static java.util.Objects.requireNonNull;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelOption;
import io.meshj.controller.destination.DestinationService;
import io.meshj.controller.destination.ProfileSource;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.name.AuthorityNormalizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A running meshj controller: the destination service on its port, over one discovery backend. Made
 * with {@link #builder()}, started by {@link Builder#start()}, ended by {@link #close()}.
 */
public final class Controller implements AutoCloseable {

    /** The destination service's port (see the design notes). */
    public static final int DESTINATION_PORT = 8086;
    /** The identity service's port. */
    public static final int IDENTITY_PORT = 8080;

    private final Server destination;
    private final Server identity;
    private final DiscoverySource backend;
    private final ProfileSource profiles;

    private Controller(Builder b) throws IOException {
        this.backend = b.backend;
        this.profiles = b.profiles;
        NettyServerBuilder server = (b.credentials == null ? NettyServerBuilder.forAddress(b.destinationListen)
                : NettyServerBuilder.forAddress(b.destinationListen, b.credentials))
                // A restarted controller takes its port back while old connections sit in TIME_WAIT.
                .withOption(ChannelOption.SO_REUSEADDR, true)
                .addService(new DestinationService(b.backend, b.profiles, b.normalizer));
        b.services.forEach(server::addService);
        if (b.identity != null) {
            this.identity = (b.credentials == null ? NettyServerBuilder.forAddress(b.identityListen)
                    : NettyServerBuilder.forAddress(b.identityListen, b.credentials))
                    .withOption(ChannelOption.SO_REUSEADDR, true)
                    .addService(b.identity)
                    .build();
            try {
                this.identity.start();
            } catch (IOException e) {
                throw new IOException("identity service: " + e.getMessage(), e);
            }
        } else {
            this.identity = null;
        }
        this.destination = server
                // Watches are long-lived and idle most of the time; keep dead clients from lingering.
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .build()
                .start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Where the destination service listens (with the actual port if 0 was asked for). */
    public InetSocketAddress destinationAddress() {
        return (InetSocketAddress) destination.getListenSockets().get(0);
    }

    /** Where the identity service listens, if it runs. */
    public java.util.Optional<InetSocketAddress> identityAddress() {
        return identity == null ? java.util.Optional.empty()
                : java.util.Optional.of((InetSocketAddress) identity.getListenSockets().get(0));
    }

    /** Stops serving: open watches end with UNAVAILABLE, and the backend and profile source are closed. */
    @Override
    public void close() {
        if (identity != null) {
            identity.shutdownNow();
        }
        destination.shutdownNow();
        try {
            destination.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backend.close();
        profiles.close();
    }

    /** Blocks until the controller has stopped. */
    public void awaitTermination() throws InterruptedException {
        destination.awaitTermination();
    }

    public static final class Builder {
        private InetSocketAddress destinationListen = new InetSocketAddress("127.0.0.1", DESTINATION_PORT);
        private DiscoverySource backend;
        private AuthorityNormalizer normalizer = AuthorityNormalizer.defaults();
        private ProfileSource profiles = ProfileSource.NONE;
        private InetSocketAddress identityListen;
        private ServerServiceDefinition identity;
        private io.grpc.ServerCredentials credentials;
        private final java.util.List<ServerServiceDefinition> services = new java.util.ArrayList<>();

        private Builder() {
        }

        /**
         * TLS for both ports (the controller's own certificate; clients verify it against the trust
         * anchors); default plaintext.
         */
        public Builder tls(io.grpc.ServerCredentials credentials) {
            this.credentials = requireNonNull(credentials, "credentials");
            return this;
        }

        /** The identity service, on its own port (8080 by default in the design). */
        public Builder identity(InetSocketAddress listen, ServerServiceDefinition service) {
            this.identityListen = requireNonNull(listen, "listen");
            this.identity = requireNonNull(service, "service");
            return this;
        }

        /** Another gRPC service on the destination port (the registry, in the local mode). */
        public Builder service(ServerServiceDefinition service) {
            services.add(requireNonNull(service, "service"));
            return this;
        }

        public Builder destinationListen(InetSocketAddress address) {
            this.destinationListen = requireNonNull(address, "address");
            return this;
        }

        /** Where endpoints come from; the controller closes it when it stops. */
        public Builder backend(DiscoverySource backend) {
            this.backend = requireNonNull(backend, "backend");
            return this;
        }

        /** Where service profiles come from (default: none; every name gets the default profile). */
        public Builder profiles(ProfileSource profiles) {
            this.profiles = requireNonNull(profiles, "profiles");
            return this;
        }

        public Builder normalizer(AuthorityNormalizer normalizer) {
            this.normalizer = requireNonNull(normalizer, "normalizer");
            return this;
        }

        /** Binds and starts serving; fails with a message naming the address if it cannot bind. */
        public Controller start() {
            requireNonNull(backend, "backend");
            try {
                return new Controller(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot listen on " + destinationListen + ": " + e.getMessage(), e);
            }
        }
    }
}
