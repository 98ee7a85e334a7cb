package io.meshj.tls;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * The mesh's certificate authority: a trust anchor (a self-signed root every workload trusts) and an
 * issuer (an intermediate the anchor signed) that signs workload certificates from their CSRs — the
 * two-level layout of Linkerd's identity system, so the issuer can rotate under a long-lived anchor.
 *
 * <p>A leaf names one {@link WorkloadIdentity} by both of its names (DNS SAN and SPIFFE URI SAN), is
 * valid for both TLS client and server authentication, and lives for the configured lifetime (24 h by
 * default), starting 20 s in the past so that a peer whose clock is a little behind accepts it. A CSR
 * is signed only if its own signature holds, its key is ECDSA P-256, and every name in it is the
 * requested identity's.
 */
public final class CertificateAuthority {

    public static final Duration DEFAULT_LEAF_LIFETIME = Duration.ofHours(24);
    public static final Duration CLOCK_SKEW_ALLOWANCE = Duration.ofSeconds(20);
    static final Duration ANCHOR_LIFETIME = Duration.ofDays(3650);
    static final Duration ISSUER_LIFETIME = Duration.ofDays(365);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate trustAnchor;
    private final X509Certificate issuer;
    private final PrivateKey issuerKey;
    private final Clock clock;
    private final Duration leafLifetime;

    private CertificateAuthority(X509Certificate trustAnchor, X509Certificate issuer, PrivateKey issuerKey, Clock clock,
            Duration leafLifetime) {
        this.trustAnchor = trustAnchor;
        this.issuer = issuer;
        this.issuerKey = issuerKey;
        this.clock = clock;
        this.leafLifetime = leafLifetime;
    }

    /** A new anchor and issuer for {@code trustDomain} (what {@code meshj identity init} makes). */
    public static CertificateAuthority generate(String trustDomain, Clock clock, Duration leafLifetime) {
        KeyPair anchorKeys = WorkloadKeys.generate();
        KeyPair issuerKeys = WorkloadKeys.generate();
        Instant now = clock.instant();
        X500Name anchorName = new X500Name("CN=root.meshj." + trustDomain);
        X509Certificate anchor = sign(anchorName, anchorKeys.getPublic(), anchorName, anchorKeys.getPrivate(), null,
                now, now.plus(ANCHOR_LIFETIME), true, null);
        X509Certificate issuer = sign(new X500Name("CN=identity.meshj." + trustDomain), issuerKeys.getPublic(), anchorName,
                anchorKeys.getPrivate(), anchor, now, now.plus(ISSUER_LIFETIME), true, null);
        return new CertificateAuthority(anchor, issuer, issuerKeys.getPrivate(), clock, leafLifetime);
    }

    /**
     * A CA from an existing anchor and issuer (files a user supplied).
     *
     * @throws IllegalArgumentException if the issuer is not a CA certificate the anchor signed
     */
    public static CertificateAuthority of(X509Certificate trustAnchor, X509Certificate issuer, PrivateKey issuerKey,
            Clock clock, Duration leafLifetime) {
        try {
            issuer.verify(trustAnchor.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the issuer certificate is not signed by the trust anchor", e);
        }
        if (issuer.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("the issuer certificate is not a CA certificate");
        }
        return new CertificateAuthority(requireNonNull(trustAnchor), issuer, requireNonNull(issuerKey),
                requireNonNull(clock), requireNonNull(leafLifetime));
    }

    /**
     * A certificate for a TLS server known by {@code dnsNames}, and the self-signed CA that signed it (to
     * give its clients as their only root). What a cluster's API server needs to call an admission
     * webhook: {@code meshj install} makes one for the injector, apart from the mesh's identities.
     */
    public record ServerCertificate(X509Certificate ca, X509Certificate certificate, PrivateKey key) {
    }

    /** A new {@link ServerCertificate} for {@code dnsNames}, valid from now for {@code lifetime}. */
    public static ServerCertificate serverCertificate(List<String> dnsNames, Clock clock, Duration lifetime) {
        KeyPair caKeys = WorkloadKeys.generate();
        KeyPair keys = WorkloadKeys.generate();
        Instant now = clock.instant();
        X500Name caName = new X500Name("CN=" + dnsNames.get(0) + " CA");
        X509Certificate ca = sign(caName, caKeys.getPublic(), caName, caKeys.getPrivate(), null, now.minus(CLOCK_SKEW_ALLOWANCE),
                now.plus(lifetime), true, null);
        GeneralNames sans = new GeneralNames(dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n))
                .toArray(GeneralName[]::new));
        X509Certificate leaf = sign(new X500Name("CN=" + dnsNames.get(0)), keys.getPublic(), caName, caKeys.getPrivate(), ca,
                now.minus(CLOCK_SKEW_ALLOWANCE), now.plus(lifetime), false, sans);
        return new ServerCertificate(ca, leaf, keys.getPrivate());
    }

    public X509Certificate trustAnchor() {
        return trustAnchor;
    }

    public X509Certificate issuer() {
        return issuer;
    }

    public PrivateKey issuerKey() {
        return issuerKey;
    }

    /** A signed leaf: the certificate, the chain up to (not including) the anchor, and its end. */
    public record Issued(X509Certificate leaf, List<X509Certificate> intermediates, Instant validUntil) {
    }

    /**
     * Signs {@code csr} (DER) for {@code identity}.
     *
     * @throws IllegalArgumentException with the reason when the CSR cannot be parsed, its signature
     *     does not hold, its key is not ECDSA P-256, or it names anything but {@code identity}
     */
    public Issued certify(WorkloadIdentity identity, byte[] csr) {
        JcaPKCS10CertificationRequest request;
        try {
            request = new JcaPKCS10CertificationRequest(new PKCS10CertificationRequest(csr));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the CSR is not a DER-encoded PKCS#10 request", e);
        }
        PublicKey key;
        try {
            key = request.getPublicKey();
            if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                throw new IllegalArgumentException("the CSR's signature does not match its key");
            }
        } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
            throw new IllegalArgumentException("the CSR's signature cannot be checked: " + e.getMessage(), e);
        }
        if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
            throw new IllegalArgumentException("the CSR's key must be ECDSA P-256");
        }
        checkNames(request, identity);
        Instant now = clock.instant();
        Instant notAfter = now.plus(leafLifetime);
        GeneralNames sans = new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, identity.dnsName()),
            new GeneralName(GeneralName.uniformResourceIdentifier, identity.spiffeId())});
        X509Certificate leaf = sign(new X500Name("CN=" + identity.dnsName()), key,
                X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), issuerKey, issuer,
                now.minus(CLOCK_SKEW_ALLOWANCE), notAfter, false, sans);
        return new Issued(leaf, List.of(issuer), notAfter);
    }

    /** Every name in the CSR (its CN, its requested SANs) must be one of the identity's two names. */
    private static void checkNames(JcaPKCS10CertificationRequest request, WorkloadIdentity identity) {
        List<String> names = new ArrayList<>();
        for (var rdn : request.getSubject().getRDNs(BCStyle.CN)) {
            names.add(IETFUtils.valueToString(rdn.getFirst().getValue()));
        }
        for (var attribute : request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            Extensions extensions = Extensions.getInstance(attribute.getAttrValues().getObjectAt(0));
            GeneralNames sans = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
            if (sans != null) {
                for (GeneralName n : sans.getNames()) {
                    names.add(n.getName().toString());
                }
            }
        }
        for (String name : names) {
            if (!name.equals(identity.dnsName()) && !name.equals(identity.spiffeId())) {
                throw new IllegalArgumentException("the CSR names \"" + name + "\", not the identity " + identity.dnsName());
            }
        }
    }

    private static X509Certificate sign(X500Name subject, PublicKey subjectKey, X500Name issuerName, PrivateKey signer,
            X509Certificate issuerCert, Instant notBefore, Instant notAfter, boolean ca, GeneralNames sans) {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, new BigInteger(128, RANDOM).abs(),
                    Date.from(notBefore), Date.from(notAfter), subject, subjectKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(ca))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
            if (issuerCert != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuerCert));
            }
            if (ca) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                b.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
                b.addExtension(Extension.subjectAlternativeName, false, sans);
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot sign a certificate", e);
        }
    }
}
