package io.meshj.examples.emojivoto;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * How a service meets the network, the one thing that differs between the two modes: {@link
 * PlainNetwork} (a sidecar proxy meshes the traffic) or {@link EmbeddedNetwork} (meshj meshes it
 * in-process). The services themselves are the same code in both.
 */
interface Network extends AutoCloseable {

    Options.Mode mode();

    /** Starts a gRPC server for {@code services} on {@code port} (0: any free port). */
    GrpcServer serve(String listenAddress, int port, List<BindableService> services) throws IOException;

    /** A channel to the service named by {@code authority}, {@code emoji-svc.emojivoto:8081}. */
    ManagedChannel channel(String authority);

    /** Releases what the network holds; call after every server and channel is shut down. */
    @Override
    void close();

    /** A started gRPC server. */
    interface GrpcServer extends AutoCloseable {

        InetSocketAddress address();

        /** Stops taking calls, lets the calls in flight finish for a moment, then cancels the rest. */
        @Override
        void close();

        /** A server bound to {@code address} that {@code stop} stops. */
        static GrpcServer of(InetSocketAddress address, Runnable stop) {
            return new GrpcServer() {
                @Override
                public InetSocketAddress address() {
                    return address;
                }

                @Override
                public void close() {
                    stop.run();
                }
            };
        }
    }
}
