package io.meshj.tls;

import static java.util.Objects.requireNonNull;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Trusts a peer whose chain leads to one of the mesh's trust anchors (PKIX, validity included) and
 * whose workload identity the {@link IdentityPolicy} accepts for that connection.
 *
 * <p>For clients that cannot name the identity they expect as the TLS server name — gRPC-Java checks
 * the server name against the channel's authority (a service name, not an identity) — this is where
 * the identity check happens instead; the host name check is left out on purpose, as the identity
 * check replaces it.
 */
public final class MeshTrustManager extends X509ExtendedTrustManager {

    /** Decides whether the peer at {@code host:port} may be {@code identity} (empty: it named none). */
    @FunctionalInterface
    public interface IdentityPolicy {
        /** @return null to accept, else the reason to refuse */
        String check(String host, int port, Optional<WorkloadIdentity> identity);

        /** Accepts exactly {@code expected}. */
        static IdentityPolicy exactly(WorkloadIdentity expected) {
            requireNonNull(expected, "expected");
            return (host, port, identity) -> identity.filter(expected::equals).isPresent() ? null
                    : "the peer at " + host + ":" + port + " is " + identity.map(WorkloadIdentity::toString).orElse("no identity")
                            + ", not " + expected;
        }

        /** Accepts any workload identity of {@code trustDomain}. */
        static IdentityPolicy anyIn(String trustDomain) {
            return (host, port, identity) -> identity.filter(i -> i.trustDomain().equals(trustDomain)).isPresent() ? null
                    : "the peer at " + host + ":" + port + " has no identity of the trust domain " + trustDomain;
        }
    }

    private final X509TrustManager pkix;
    private final IdentityPolicy servers;
    private final IdentityPolicy clients;

    /**
     * @param servers what server identities a client accepts
     * @param clients what client identities a server accepts
     */
    public MeshTrustManager(Collection<X509Certificate> trustAnchors, IdentityPolicy servers, IdentityPolicy clients) {
        this.pkix = pkix(trustAnchors);
        this.servers = requireNonNull(servers, "servers");
        this.clients = requireNonNull(clients, "clients");
    }

    private static X509TrustManager pkix(Collection<X509Certificate> anchors) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (X509Certificate anchor : anchors) {
                store.setCertificateEntry("anchor-" + i++, anchor);
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("no X.509 trust manager in " + f.getAlgorithm());
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build a trust manager for the trust anchors: " + e.getMessage(), e);
        }
    }

    private static void check(IdentityPolicy policy, X509Certificate[] chain, String host, int port) throws CertificateException {
        String refusal = policy.check(host, port, chain.length == 0 ? Optional.empty() : MeshTls.identityOf(chain[0]));
        if (refusal != null) {
            throw new CertificateException(refusal);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        // The two-argument PKIX check: chain and validity, without the host name check the engine may ask for.
        pkix.checkServerTrusted(chain, authType);
        check(servers, chain, engine == null ? null : engine.getPeerHost(), engine == null ? -1 : engine.getPeerPort());
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        pkix.checkClientTrusted(chain, authType);
        check(clients, chain, engine == null ? null : engine.getPeerHost(), engine == null ? -1 : engine.getPeerPort());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        pkix.checkServerTrusted(chain, authType);
        check(servers, chain, null, -1);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        pkix.checkClientTrusted(chain, authType);
        check(clients, chain, null, -1);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkServerTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkClientTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }
}
