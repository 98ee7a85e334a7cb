package io.meshj.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager whose one key and chain are replaced as certificates rotate, without rebuilding the TLS
 * contexts that use it: every handshake asks for the current alias, then for that alias's key and
 * chain.
 *
 * <p>Each certificate gets a new alias, and the previous one stays resolvable, so a handshake that
 * chose its alias just before a rotation still finds the key and chain that belong together (asking
 * for "the current key" twice could pair the old chain with the new key). Before the first
 * certificate there is no alias, and handshakes fail (the proxy is not ready then).
 */
public final class RotatingKeyManager extends X509ExtendedKeyManager {

    private record Entry(String alias, CertifiedKey key) {
    }

    private volatile Entry current;
    private volatile Entry previous;
    private long generation;

    /** Makes {@code key} the one presented from the next handshake on. */
    public synchronized void update(CertifiedKey key) {
        Entry next = new Entry("meshj-" + (++generation), key);
        previous = current;
        current = next;
    }

    /** The key presented now, or {@code null} before the first. */
    public CertifiedKey current() {
        Entry e = current;
        return e == null ? null : e.key;
    }

    private String alias(String[] keyTypes) {
        Entry e = current;
        if (e == null) {
            return null;
        }
        if (keyTypes != null) {
            String algorithm = e.key.key().getAlgorithm();
            boolean match = false;
            for (String t : keyTypes) {
                // JSSE asks for "EC"; Netty's OpenSSL key material manager for "EC" or "EC_EC".
                match |= t != null && (t.equals(algorithm) || t.startsWith(algorithm + "_"));
            }
            if (!match) {
                return null;
            }
        }
        return e.alias;
    }

    private CertifiedKey lookup(String alias) {
        Entry e = current;
        if (e != null && e.alias.equals(alias)) {
            return e.key;
        }
        Entry p = previous;
        return p != null && p.alias.equals(alias) ? p.key : null;
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return alias(keyTypes);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return alias(keyTypes);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return alias(new String[] {keyType});
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return alias(new String[] {keyType});
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        String a = alias(new String[] {keyType});
        return a == null ? null : new String[] {a};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return getClientAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        CertifiedKey k = lookup(alias);
        return k == null ? null : k.chain().toArray(new X509Certificate[0]);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        CertifiedKey k = lookup(alias);
        return k == null ? null : k.key();
    }
}
