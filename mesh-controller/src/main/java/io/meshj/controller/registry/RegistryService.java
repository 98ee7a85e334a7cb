package io.meshj.controller.registry;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshj.api.registry.v1.DeregisterRequest;
import io.meshj.api.registry.v1.DeregisterResponse;
import io.meshj.api.registry.v1.Lease;
import io.meshj.api.registry.v1.RegisterRequest;
import io.meshj.controller.identity.TokenVerifier;
import io.meshj.tls.WorkloadIdentity;
import io.meshj.api.registry.v1.RegistryGrpc;
import io.meshj.api.registry.v1.RenewRequest;
import io.meshj.core.endpoint.ProtocolHint;
import java.time.Duration;
import java.util.NoSuchElementException;

/**
 * The Registry API over a {@link LocalRegistry}. A registration must carry a token proving the
 * workload's identity (its service account in its namespace), checked as the Identity API checks it:
 * whoever can register an endpoint for a service can receive its traffic. A workload may announce that
 * its proxy presents that identity in mTLS, and no other. Refusals are PERMISSION_DENIED with the
 * reason, logged and counted. Renewals and deregistrations name a lease id, which only the registrant
 * was told.
 */
public final class RegistryService extends RegistryGrpc.RegistryImplBase {

    private static final System.Logger LOG = System.getLogger(RegistryService.class.getName());

    private final LocalRegistry registry;
    private final TokenVerifier tokens;
    private final String trustDomain;
    private final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();

    public RegistryService(LocalRegistry registry, TokenVerifier tokens, String trustDomain) {
        this.registry = requireNonNull(registry, "registry");
        this.tokens = requireNonNull(tokens, "tokens");
        this.trustDomain = requireNonNull(trustDomain, "trustDomain");
    }

    /** Registrations refused so far (bad token, or an identity the token does not prove). */
    public long refusedCount() {
        return refused.get();
    }

    @Override
    public void register(RegisterRequest request, StreamObserver<Lease> responses) {
        io.meshj.api.registry.v1.Workload w = request.getWorkload();
        WorkloadIdentity identity;
        try {
            identity = new WorkloadIdentity(w.getServiceAccount().isEmpty() ? "default" : w.getServiceAccount(),
                    w.getNamespace(), trustDomain);
        } catch (IllegalArgumentException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("workload " + w.getName() + ": " + e.getMessage())
                    .asRuntimeException());
            return;
        }
        try {
            if (request.getToken().isEmpty()) {
                throw new SecurityException("no token: registering needs one proving " + identity
                        + " (meshj identity token --sa " + identity.serviceAccount() + " -n " + identity.namespace() + ")");
            }
            tokens.verify(request.getToken().toString(java.nio.charset.StandardCharsets.US_ASCII), identity);
            if (!w.getTlsIdentity().isEmpty() && !w.getTlsIdentity().equals(identity.dnsName())) {
                throw new SecurityException("the workload claims the mTLS identity " + w.getTlsIdentity()
                        + " but its token proves " + identity);
            }
        } catch (SecurityException e) {
            refused.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "refused to register {0}.{1} ({2}): {3}", w.getService(),
                    w.getNamespace(), w.getName(), e.getMessage());
            responses.onError(Status.PERMISSION_DENIED.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        Duration ttl = Duration.ofSeconds(request.getTtl().getSeconds(), request.getTtl().getNanos());
        try {
            LocalRegistry.Lease lease = registry.register(new LocalRegistry.Workload(w.getName(), w.getNamespace(),
                    w.getService(), w.getPort(), w.getAddress(), identity.serviceAccount(), hint(w.getProtocolHint()),
                    w.getInboundPort(), w.getLabelsMap(), w.getTlsIdentity(), w.getAdminPort(), w.getTapPort()), ttl);
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
}
