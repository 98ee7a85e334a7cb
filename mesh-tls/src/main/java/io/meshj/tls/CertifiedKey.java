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

    /**
     * What {@code meshj identity <workload>} shows: the leaf's names, serial, issuer and validity, then
     * the chain in PEM (certificates only; the key never leaves the workload).
     */
    public String describe() {
        X509Certificate leaf = leaf();
        StringBuilder b = new StringBuilder();
        MeshTls.identityOf(leaf).ifPresent(id -> b.append("identity:    ").append(id.dnsName()).append('\n')
                .append("spiffe id:   ").append(id.spiffeId()).append('\n'));
        b.append("subject:     ").append(leaf.getSubjectX500Principal().getName()).append('\n');
        b.append("issuer:      ").append(leaf.getIssuerX500Principal().getName()).append('\n');
        b.append("serial:      ").append(leaf.getSerialNumber().toString(16)).append('\n');
        b.append("not before:  ").append(leaf.getNotBefore().toInstant()).append('\n');
        b.append("not after:   ").append(leaf.getNotAfter().toInstant()).append('\n');
        b.append("key:         ").append(key.getAlgorithm()).append(" (").append(leaf.getSigAlgName()).append(" signed)\n");
        for (X509Certificate c : chain) {
            b.append(Pem.write(c));
        }
        return b.toString();
    }
}
