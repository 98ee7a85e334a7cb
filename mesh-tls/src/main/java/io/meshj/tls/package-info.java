/**
 * Workload identities (service account + namespace + trust domain, with DNS and SPIFFE names), the
 * certificate authority and issuer, certificate signing requests, rotation, and the TLS used between
 * meshed peers.
 *
 * <p>The CA side: {@link io.meshj.tls.CertificateAuthority} (trust anchor and issuer, signing CSRs) and
 * {@link io.meshj.tls.Pem}. The workload side: {@link io.meshj.tls.WorkloadKeys} (keys and CSRs made in
 * memory), a {@link io.meshj.tls.Certifier} (the controller's Identity API through
 * {@link io.meshj.tls.GrpcCertifier}), {@link io.meshj.tls.WorkloadCertifier} (renewal) feeding a
 * {@link io.meshj.tls.RotatingKeyManager}, {@link io.meshj.tls.MeshTls} (TLS 1.3 contexts, peer
 * identities), and for embedded gRPC apps {@link io.meshj.tls.MeshGrpcCredentials} with a
 * {@link io.meshj.tls.MeshTrustManager} that checks the peer's identity.
 */
package io.meshj.tls;
