package io.meshj.tls;

import java.util.concurrent.CompletableFuture;

/**
 * Gets a certificate signed for a workload's CSR: the controller's Identity API in production
 * ({@link GrpcCertifier}), a {@link CertificateAuthority} in the same process for tests and for an
 * embedded controller.
 */
@FunctionalInterface
public interface Certifier {

    /**
     * Asks for {@code csr} (DER PKCS#10) to be signed for {@code identity}. The future fails with the
     * issuer's reason when it refuses.
     */
    CompletableFuture<CertificateAuthority.Issued> certify(WorkloadIdentity identity, byte[] csr);

    /** A certifier that signs with {@code ca} in this process. */
    static Certifier of(CertificateAuthority ca) {
        return (identity, csr) -> {
            try {
                return CompletableFuture.completedFuture(ca.certify(identity, csr));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        };
    }
}
