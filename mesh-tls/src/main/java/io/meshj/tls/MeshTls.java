package io.meshj.tls;

import static java.util.Objects.requireNonNull;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The TLS used between meshed peers: TLS 1.3 only, both sides presenting the certificate of their
 * {@link RotatingKeyManager} and trusting only the mesh's trust anchors. BoringSSL (netty-tcnative)
 * when it loads on this platform, the JDK's provider otherwise.
 *
 * <p>A client names the identity it expects as the handshake's server name: it is sent as SNI and
 * checked against the server certificate's DNS SAN during the handshake (RFC 6125 host name
 * verification), so a peer with the wrong identity fails the handshake before any request is sent.
 */
public final class MeshTls {

    public static final String TLS_1_3 = "TLSv1.3";

    /**
     * ALPN offering h2 then HTTP/1.1, never failing a handshake over it. Proxies ignore the outcome
     * (they detect the protocol from the bytes), but gRPC-Java insists on h2 by ALPN: with it an
     * embedded client can call a sidecar's inbound port and a sidecar can call an embedded server.
     */
    private static final io.netty.handler.ssl.ApplicationProtocolConfig ALPN = new io.netty.handler.ssl.ApplicationProtocolConfig(
            io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
            io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            io.netty.handler.ssl.ApplicationProtocolNames.HTTP_2, io.netty.handler.ssl.ApplicationProtocolNames.HTTP_1_1);

    private MeshTls() {
    }

    /** BoringSSL if it is available and speaks TLS 1.3, else the JDK. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() && SslProvider.isTlsv13Supported(SslProvider.OPENSSL) ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * A server context for the inbound side.
     *
     * @param requireClientCertificate refuse clients without a certificate (else they are asked for
     *     one, and a client that presents none has no identity)
     */
    public static SslContext server(RotatingKeyManager keys, Collection<X509Certificate> trustAnchors,
            boolean requireClientCertificate) {
        return server(provider(), keys, trustAnchors, requireClientCertificate);
    }

    /** As {@link #server(RotatingKeyManager, Collection, boolean)}, with {@code provider}. */
    public static SslContext server(SslProvider provider, RotatingKeyManager keys, Collection<X509Certificate> trustAnchors,
            boolean requireClientCertificate) {
        try {
            return SslContextBuilder.forServer(requireNonNull(keys, "keys"))
                    .sslProvider(provider)
                    .protocols(TLS_1_3)
                    .trustManager(List.copyOf(trustAnchors))
                    .clientAuth(requireClientCertificate ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL)
                    .applicationProtocolConfig(ALPN)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the server TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * A client context for connections to meshed peers. Create handlers with
     * {@code context.newHandler(alloc, expectedIdentity.dnsName(), port)} so that the peer's identity
     * is verified.
     */
    public static SslContext client(RotatingKeyManager keys, Collection<X509Certificate> trustAnchors) {
        return client(provider(), keys, trustAnchors);
    }

    /** As {@link #client(RotatingKeyManager, Collection)}, with {@code provider}. */
    public static SslContext client(SslProvider provider, RotatingKeyManager keys, Collection<X509Certificate> trustAnchors) {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(provider)
                    .protocols(TLS_1_3)
                    .keyManager(requireNonNull(keys, "keys"))
                    .trustManager(List.copyOf(trustAnchors))
                    .endpointIdentificationAlgorithm("HTTPS")
                    .applicationProtocolConfig(ALPN)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * The workload identity of the peer of an established session: the identity named by the DNS SAN
     * of its leaf certificate; empty when the peer presented no certificate, or none naming an identity.
     */
    public static Optional<WorkloadIdentity> peerIdentity(SSLSession session) {
        try {
            java.security.cert.Certificate[] peer = session.getPeerCertificates();
            if (peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
                return Optional.empty();
            }
            return identityOf(leaf);
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /** The workload identity a certificate names by its DNS SAN, if any. */
    public static Optional<WorkloadIdentity> identityOf(X509Certificate certificate) {
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) { // dNSName
                        try {
                            return Optional.of(WorkloadIdentity.parseDnsName((String) san.get(1)));
                        } catch (IllegalArgumentException notAnIdentity) {
                            // another DNS name; keep looking
                        }
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // unreadable SANs name nothing
        }
        return Optional.empty();
    }
}
