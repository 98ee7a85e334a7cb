/**
 * Workload identities (service account + namespace + trust domain, with DNS and SPIFFE names), the
 * certificate authority and issuer, certificate signing requests, the rotating key manager, and the
 * Netty and gRPC TLS credentials built on them.
 *
 * <p>Arrives with the identity and mTLS issue; see {@code ../shared/design.md}.
 */
package io.meshj.tls;
