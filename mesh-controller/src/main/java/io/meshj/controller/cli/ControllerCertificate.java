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
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The controller's own TLS: it certifies itself with its issuer (in process, renewed like any
 * workload's certificate) as {@link #IDENTITY}, and serves its APIs with that certificate. Clients are
 * asked for a certificate but need none: a workload calls the identity API before it has one, and
 * proves itself with its token.
 */
final class ControllerCertificate {

    /** The controller's identity: service account {@code controller} in the control-plane namespace. */
    static final WorkloadIdentity IDENTITY = new WorkloadIdentity("controller", "meshj", WorkloadIdentity.DEFAULT_TRUST_DOMAIN);

    private ControllerCertificate() {
    }

    static ServerCredentials credentials(LocalIdentityStore store) {
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
        return MeshGrpcCredentials.server(certifier, List.of(ca.trustAnchor()),
                MeshTrustManager.IdentityPolicy.anyIn(IDENTITY.trustDomain()), ClientAuth.OPTIONAL);
    }
}
