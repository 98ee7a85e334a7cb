package io.meshj.tls;

import static java.util.Objects.requireNonNull;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A private key with the certificate chain issued for it: the leaf first, then its issuers up to (not
 * including) the trust anchor, and when the leaf stops being valid.
 */
public record CertifiedKey(PrivateKey key, List<X509Certificate> chain, Instant validUntil) {

    public CertifiedKey {
        requireNonNull(key, "key");
        chain = List.copyOf(chain);
        requireNonNull(validUntil, "validUntil");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a certified key needs at least its leaf certificate");
        }
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }
}
