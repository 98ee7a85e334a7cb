package io.meshj.tls;

import static java.util.Objects.requireNonNull;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.meshj.api.identity.v1.CertifyRequest;
import io.meshj.api.identity.v1.CertifyResponse;
import io.meshj.api.identity.v1.IdentityGrpc;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A {@link Certifier} that calls the controller's Identity API. The token is read from its supplier on
 * every call, because the tokens that prove identity rotate too (projected service-account tokens are
 * rewritten by the kubelet; a local token file may be replaced).
 */
public final class GrpcCertifier implements Certifier {

    private final IdentityGrpc.IdentityFutureStub stub;
    private final Supplier<byte[]> token;

    /**
     * @param channel to the controller's identity port
     * @param token supplies the token that proves the identity; may throw with a reason (a missing
     *     file), which fails that attempt
     */
    public GrpcCertifier(Channel channel, Supplier<byte[]> token) {
        this.stub = IdentityGrpc.newFutureStub(requireNonNull(channel, "channel"));
        this.token = requireNonNull(token, "token");
    }

    @Override
    public CompletableFuture<CertificateAuthority.Issued> certify(WorkloadIdentity identity, byte[] csr) {
        CompletableFuture<CertificateAuthority.Issued> result = new CompletableFuture<>();
        CertifyRequest request = CertifyRequest.newBuilder()
                .setIdentity(identity.dnsName())
                .setToken(ByteString.copyFrom(token.get()))
                .setCertificateSigningRequest(ByteString.copyFrom(csr))
                .build();
        Futures.addCallback(stub.withDeadlineAfter(WorkloadCertifier.ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .certify(request), new FutureCallback<>() {
                    @Override
                    public void onSuccess(CertifyResponse response) {
                        try {
                            result.complete(issued(response));
                        } catch (IllegalArgumentException e) {
                            result.completeExceptionally(e);
                        }
                    }

                    @Override
                    public void onFailure(Throwable t) {
                        if (t instanceof StatusRuntimeException s) {
                            // "PERMISSION_DENIED: token expired at ..." reads better than the exception's class;
                            // UNAVAILABLE is the transport's word (connection refused, ...), not an answer.
                            String cause = s.getCause() == null ? "" : " (" + s.getCause() + ")";
                            result.completeExceptionally(new IllegalStateException(
                                    (s.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE
                                            ? "the call to the identity service failed: "
                                            : "the identity service answered ")
                                    + s.getStatus().getCode() + ": " + s.getStatus().getDescription() + cause, s));
                        } else {
                            result.completeExceptionally(t);
                        }
                    }
                }, MoreExecutors.directExecutor());
        return result;
    }

    private static CertificateAuthority.Issued issued(CertifyResponse response) {
        X509Certificate leaf = certificate(response.getLeafCertificate());
        List<X509Certificate> intermediates = new ArrayList<>();
        for (ByteString der : response.getIntermediateCertificatesList()) {
            intermediates.add(certificate(der));
        }
        Instant validUntil = Instant.ofEpochSecond(response.getValidUntil().getSeconds(), response.getValidUntil().getNanos());
        return new CertificateAuthority.Issued(leaf, intermediates, validUntil);
    }

    private static X509Certificate certificate(ByteString der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der.toByteArray()));
        } catch (CertificateException e) {
            throw new IllegalArgumentException("the identity service returned an unreadable certificate: " + e.getMessage(), e);
        }
    }
}
