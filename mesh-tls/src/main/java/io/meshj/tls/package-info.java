/**
 * Workload identities (service account + namespace + trust domain, with DNS and SPIFFE names), the
 * certificate authority and issuer, certificate signing requests, the rotating key manager, and the
 * Netty and gRPC TLS credentials built on them.
 *
 * <p>So far: {@link io.meshj.tls.WorkloadIdentity}, the {@link io.meshj.tls.CertificateAuthority} (trust
 * anchor and issuer, signing CSRs), {@link io.meshj.tls.WorkloadKeys} (keys and CSRs made in memory) and
 * {@link io.meshj.tls.Pem}. The identity service, rotation and mTLS follow with the identity issue.
 */
package io.meshj.tls;
