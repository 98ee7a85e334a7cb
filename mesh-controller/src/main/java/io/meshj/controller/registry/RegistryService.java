package io.meshj.controller.registry;

import static java.util.Objects.requireNonNull;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshj.api.registry.v1.DeregisterRequest;
import io.meshj.api.registry.v1.DeregisterResponse;
import io.meshj.api.registry.v1.Lease;
import io.meshj.api.registry.v1.RegisterRequest;
import io.meshj.api.registry.v1.RegistryGrpc;
import io.meshj.api.registry.v1.RenewRequest;
import io.meshj.core.endpoint.ProtocolHint;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.NoSuchElementException;

/**
 * The Registry API over a {@link LocalRegistry}. Until workload tokens arrive with the identity API,
 * only loopback clients may call it: anyone else gets PERMISSION_DENIED saying so.
 */
public final class RegistryService extends RegistryGrpc.RegistryImplBase {

    private final LocalRegistry registry;

    public RegistryService(LocalRegistry registry) {
        this.registry = requireNonNull(registry, "registry");
    }

    /** This service behind the loopback-only check: what a server should add. */
    public ServerServiceDefinition loopbackOnly() {
        return ServerInterceptors.intercept(this, new LoopbackOnly());
    }

    @Override
    public void register(RegisterRequest request, StreamObserver<Lease> responses) {
        io.meshj.api.registry.v1.Workload w = request.getWorkload();
        Duration ttl = Duration.ofSeconds(request.getTtl().getSeconds(), request.getTtl().getNanos());
        try {
            LocalRegistry.Lease lease = registry.register(new LocalRegistry.Workload(w.getName(), w.getNamespace(),
                    w.getService(), w.getPort(), w.getAddress(), w.getServiceAccount(), hint(w.getProtocolHint()),
                    w.getInboundPort(), w.getLabelsMap()), ttl);
            responses.onNext(toProto(lease));
            responses.onCompleted();
        } catch (IllegalArgumentException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    @Override
    public void renew(RenewRequest request, StreamObserver<Lease> responses) {
        try {
            responses.onNext(toProto(registry.renew(request.getLeaseId())));
            responses.onCompleted();
        } catch (NoSuchElementException e) {
            responses.onError(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    @Override
    public void deregister(DeregisterRequest request, StreamObserver<DeregisterResponse> responses) {
        registry.deregister(request.getLeaseId());
        responses.onNext(DeregisterResponse.getDefaultInstance());
        responses.onCompleted();
    }

    private static Lease toProto(LocalRegistry.Lease lease) {
        return Lease.newBuilder().setId(lease.id())
                .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(lease.ttl().getSeconds())
                        .setNanos(lease.ttl().getNano()))
                .build();
    }

    private static ProtocolHint hint(io.meshj.api.destination.v1.ProtocolHint h) {
        return switch (h) {
            case PROTOCOL_HINT_H2 -> ProtocolHint.H2;
            case PROTOCOL_HINT_OPAQUE -> ProtocolHint.OPAQUE;
            default -> ProtocolHint.UNKNOWN;
        };
    }

    /** Rejects callers that are not on this machine's loopback interface. */
    static final class LoopbackOnly implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                ServerCallHandler<Q, A> next) {
            SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            if (!isLoopback(remote)) {
                call.close(Status.PERMISSION_DENIED.withDescription("registration accepts loopback clients only, until"
                        + " workload tokens (meshj identity) are supported; caller: " + remote), new Metadata());
                return new ServerCall.Listener<>() { };
            }
            return next.startCall(call, headers);
        }

        static boolean isLoopback(SocketAddress address) {
            return address instanceof InetSocketAddress inet && inet.getAddress() != null
                    && inet.getAddress().isLoopbackAddress();
        }
    }
}
