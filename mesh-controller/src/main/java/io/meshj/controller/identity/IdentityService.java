package io.meshj.controller.identity;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshj.api.identity.v1.CertifyRequest;
import io.meshj.api.identity.v1.CertifyResponse;
import io.meshj.api.identity.v1.IdentityGrpc;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.WorkloadIdentity;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Identity API: {@code Certify} checks that the token proves the requested identity (in the
 * trust domain this CA serves) and that the CSR names only that identity, then returns the leaf, its
 * chain and its end. A refusal is PERMISSION_DENIED (token) or INVALID_ARGUMENT (request) with the
 * reason, is logged, and is counted.
 */
public final class IdentityService extends IdentityGrpc.IdentityImplBase {

    private static final System.Logger LOG = System.getLogger(IdentityService.class.getName());

    private final CertificateAuthority ca;
    private final TokenVerifier tokens;
    private final String trustDomain;
    private final AtomicLong certified = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();

    public IdentityService(CertificateAuthority ca, TokenVerifier tokens, String trustDomain) {
        this.ca = requireNonNull(ca, "ca");
        this.tokens = requireNonNull(tokens, "tokens");
        this.trustDomain = requireNonNull(trustDomain, "trustDomain");
    }

    @Override
    public void certify(CertifyRequest request, StreamObserver<CertifyResponse> responses) {
        WorkloadIdentity identity;
        try {
            identity = WorkloadIdentity.parseDnsName(request.getIdentity());
        } catch (IllegalArgumentException e) {
            refuse(responses, Status.INVALID_ARGUMENT, request.getIdentity(), e.getMessage());
            return;
        }
        if (!identity.trustDomain().equals(trustDomain)) {
            refuse(responses, Status.PERMISSION_DENIED, request.getIdentity(),
                    "this controller certifies the trust domain " + trustDomain + " only");
            return;
        }
        try {
            tokens.verify(request.getToken().toString(StandardCharsets.US_ASCII), identity);
        } catch (SecurityException e) {
            refuse(responses, Status.PERMISSION_DENIED, request.getIdentity(), e.getMessage());
            return;
        } catch (IllegalStateException e) {
            // The verifier could not ask (the Kubernetes API is down): not a refusal; the workload retries.
            LOG.log(System.Logger.Level.WARNING, "cannot verify the token of {0}: {1}", request.getIdentity(), e.getMessage());
            responses.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        CertificateAuthority.Issued issued;
        try {
            issued = ca.certify(identity, request.getCertificateSigningRequest().toByteArray());
        } catch (IllegalArgumentException e) {
            refuse(responses, Status.INVALID_ARGUMENT, request.getIdentity(), e.getMessage());
            return;
        }
        CertifyResponse.Builder r = CertifyResponse.newBuilder()
                .setLeafCertificate(der(issued.leaf()))
                .setValidUntil(Timestamp.newBuilder().setSeconds(issued.validUntil().getEpochSecond())
                        .setNanos(issued.validUntil().getNano()));
        issued.intermediates().forEach(c -> r.addIntermediateCertificates(der(c)));
        certified.incrementAndGet();
        responses.onNext(r.build());
        responses.onCompleted();
    }

    /** Certificates issued so far. */
    public long certifiedCount() {
        return certified.get();
    }

    /** Requests refused so far. */
    public long refusedCount() {
        return refused.get();
    }

    private void refuse(StreamObserver<CertifyResponse> responses, Status status, String identity, String reason) {
        refused.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "refused to certify {0}: {1}", identity, reason);
        responses.onError(status.withDescription(reason).asRuntimeException());
    }

    private static ByteString der(X509Certificate c) {
        try {
            return ByteString.copyFrom(c.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
