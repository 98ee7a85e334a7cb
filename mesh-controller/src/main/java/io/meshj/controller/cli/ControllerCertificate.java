package io.meshj.controller.cli;

import io.grpc.ServerCredentials;
import io.meshj.controller.identity.LocalIdentityStore;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.Certifier;
import io.meshj.tls.MeshGrpcCredentials;
import io.meshj.tls.MeshTrustManager;
import io.meshj.tls.WorkloadCertifier;
import io.meshj.tls.WorkloadIdentity;
import io.netty.handler.ssl.ClientAuth;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The controller's own certificate: it certifies itself with its issuer (in process, renewed like any
 * workload's certificate) as {@link #IDENTITY}. It serves the controller's APIs with it under
 * {@code --tls}, and always presents it to workloads' tap servers, which serve that identity only.
 */
final class ControllerCertificate {

    /** The controller's identity: service account {@code controller} in the control-plane namespace. */
    static final WorkloadIdentity IDENTITY = new WorkloadIdentity("controller", "meshj", WorkloadIdentity.DEFAULT_TRUST_DOMAIN);

    private final WorkloadCertifier certifier;
    private final List<X509Certificate> trustAnchors;

    private ControllerCertificate(WorkloadCertifier certifier, List<X509Certificate> trustAnchors) {
        this.certifier = certifier;
        this.trustAnchors = trustAnchors;
    }

    /** Certifies the controller with the issuer in {@code store}; waits for the first certificate. */
    static ControllerCertificate start(LocalIdentityStore store) {
        CertificateAuthority ca = store.ca(Clock.systemUTC(), CertificateAuthority.DEFAULT_LEAF_LIFETIME);
        ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meshj-controller-certificate");
            t.setDaemon(true);
            return t;
        });
        WorkloadCertifier certifier = WorkloadCertifier.builder(IDENTITY, Certifier.of(ca)).scheduler(renewals).build().start();
        try {
            certifier.firstCertificate().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the controller cannot certify itself: " + e.getMessage(), e);
        }
        return new ControllerCertificate(certifier, List.of(ca.trustAnchor()));
    }

    WorkloadCertifier certifier() {
        return certifier;
    }

    List<X509Certificate> trustAnchors() {
        return trustAnchors;
    }

    /**
     * Server TLS for the controller's APIs. Clients are asked for a certificate but need none: a
     * workload calls the identity API before it has one, and proves itself with its token.
     */
    ServerCredentials serverCredentials() {
        return MeshGrpcCredentials.server(certifier, trustAnchors,
                MeshTrustManager.IdentityPolicy.anyIn(IDENTITY.trustDomain()), ClientAuth.OPTIONAL);
    }
}
