package io.meshj.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA issues what workloads ask for, only that, and the chain validates with the JDK and with openssl. */
class CertificateAuthorityTest {

    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final WorkloadIdentity WEB = new WorkloadIdentity("web", "emojivoto", "cluster.local");

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final CertificateAuthority ca = CertificateAuthority.generate("cluster.local", clock,
            CertificateAuthority.DEFAULT_LEAF_LIFETIME);

    @TempDir
    Path dir;

    private static void validate(CertificateAuthority ca, X509Certificate leaf, Instant at) throws Exception {
        List<X509Certificate> path = new ArrayList<>(List.of(leaf));
        path.add(ca.issuer());
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca.trustAnchor(), null)));
        params.setRevocationEnabled(false);
        params.setDate(Date.from(at));
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
    }

    @Test
    void aLeafNamesTheIdentityBothWaysAndLivesADayFromTwentySecondsAgo() throws Exception {
        KeyPair keys = WorkloadKeys.generate();
        CertificateAuthority.Issued issued = ca.certify(WEB, WorkloadKeys.csr(keys, WEB));

        X509Certificate leaf = issued.leaf();
        assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
        List<Object> sans = new ArrayList<>();
        leaf.getSubjectAlternativeNames().forEach(san -> sans.add(san.get(1)));
        assertThat(sans).containsExactly(
                "web.emojivoto.serviceaccount.identity.meshj.cluster.local", "spiffe://cluster.local/ns/emojivoto/sa/web");
        assertThat(leaf.getNotBefore().toInstant()).isEqualTo(NOW.minusSeconds(20));
        assertThat(leaf.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(24)));
        assertThat(issued.validUntil()).isEqualTo(NOW.plus(Duration.ofHours(24)));
        assertThat(leaf.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        validate(ca, leaf, NOW);
    }

    @Test
    void anExpiredLeafDoesNotValidate() {
        X509Certificate leaf = ca.certify(WEB, WorkloadKeys.csr(WorkloadKeys.generate(), WEB)).leaf();
        assertThatThrownBy(() -> validate(ca, leaf, NOW.plus(Duration.ofHours(25))))
                .isInstanceOf(CertPathValidatorException.class);
    }

    @Test
    void aCsrForAnotherIdentityIsRefusedNamingIt() {
        WorkloadIdentity other = new WorkloadIdentity("admin", "kube-system", "cluster.local");
        byte[] csr = WorkloadKeys.csr(WorkloadKeys.generate(), other);
        assertThatThrownBy(() -> ca.certify(WEB, csr)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("admin.kube-system.serviceaccount.identity.meshj.cluster.local")
                .hasMessageContaining("not the identity web.emojivoto");
    }

    @Test
    void aTamperedOrGarbledCsrIsRefused() {
        byte[] csr = WorkloadKeys.csr(WorkloadKeys.generate(), WEB);
        csr[csr.length - 5] ^= 0x55; // inside the signature
        assertThatThrownBy(() -> ca.certify(WEB, csr)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("signature");
        assertThatThrownBy(() -> ca.certify(WEB, new byte[] {1, 2, 3})).hasMessageContaining("PKCS#10");
    }

    @Test
    void anotherCasLeafDoesNotValidateAgainstThisAnchor() {
        CertificateAuthority other = CertificateAuthority.generate("cluster.local", clock, Duration.ofHours(1));
        X509Certificate foreign = other.certify(WEB, WorkloadKeys.csr(WorkloadKeys.generate(), WEB)).leaf();
        assertThatThrownBy(() -> validate(ca, foreign, NOW)).isInstanceOf(CertPathValidatorException.class);
    }

    @Test
    void aCaReadBackFromPemIssuesTheSame() throws Exception {
        CertificateAuthority reread = CertificateAuthority.of(
                Pem.certificate(Pem.write(ca.trustAnchor()), "anchor.pem"),
                Pem.certificate(Pem.write(ca.issuer()), "issuer.pem"),
                Pem.privateKey(Pem.write(ca.issuerKey()), "issuer.key"), clock, Duration.ofHours(1));
        X509Certificate leaf = reread.certify(WEB, WorkloadKeys.csr(WorkloadKeys.generate(), WEB)).leaf();
        validate(ca, leaf, NOW);
        assertThatThrownBy(() -> Pem.certificate("not pem", "x.pem")).hasMessageStartingWith("x.pem: ");
        CertificateAuthority other = CertificateAuthority.generate("cluster.local", clock, Duration.ofHours(1));
        assertThatThrownBy(() -> CertificateAuthority.of(ca.trustAnchor(), other.issuer(), other.issuerKey(), clock,
                Duration.ofHours(1))).hasMessageContaining("not signed by the trust anchor");
    }

    @Test
    void opensslVerifiesTheChain() throws Exception {
        // A real peer's verifier: openssl, with the current time (the CA above runs on the real clock).
        CertificateAuthority live = CertificateAuthority.generate("cluster.local", Clock.systemUTC(), Duration.ofHours(24));
        X509Certificate leaf = live.certify(WEB, WorkloadKeys.csr(WorkloadKeys.generate(), WEB)).leaf();
        Files.writeString(dir.resolve("anchor.pem"), Pem.write(live.trustAnchor()));
        Files.writeString(dir.resolve("issuer.pem"), Pem.write(live.issuer()));
        Files.writeString(dir.resolve("leaf.pem"), Pem.write(leaf));
        Process p = new ProcessBuilder("openssl", "verify", "-x509_strict", "-purpose", "sslserver",
                "-CAfile", dir.resolve("anchor.pem").toString(), "-untrusted", dir.resolve("issuer.pem").toString(),
                dir.resolve("leaf.pem").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as(out).endsWith(": OK\n");
    }

    @Test
    void identitiesHaveTheirTwoNamesAndRejectNonLabels() {
        assertThat(WEB.dnsName()).isEqualTo("web.emojivoto.serviceaccount.identity.meshj.cluster.local");
        assertThat(WEB.spiffeId()).isEqualTo("spiffe://cluster.local/ns/emojivoto/sa/web");
        assertThat(WorkloadIdentity.parseDnsName(WEB.dnsName())).isEqualTo(WEB);
        assertThatThrownBy(() -> new WorkloadIdentity("Web", "emojivoto", "cluster.local"))
                .hasMessage("service account \"Web\" is not a lower-case DNS label");
        assertThatThrownBy(() -> WorkloadIdentity.parseDnsName("web.emojivoto.svc.cluster.local"))
                .hasMessageContaining("is not an identity name");
    }
}
