package io.meshj.controller.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.api.identity.v1.CertifyRequest;
import io.meshj.api.identity.v1.CertifyResponse;
import io.meshj.api.identity.v1.IdentityGrpc;
import io.meshj.controller.Controller;
import io.meshj.controller.registry.LocalRegistry;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.time.Ticker;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.WorkloadIdentity;
import io.meshj.tls.WorkloadKeys;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Certify over gRPC on loopback: a good token gets a certificate; every kind of bad request a reason. */
class IdentityServiceTest {

    private static final WorkloadIdentity WEB = new WorkloadIdentity("web", "emojivoto", "cluster.local");

    private final Clock clock = Clock.systemUTC();
    private final CertificateAuthority ca = CertificateAuthority.generate("cluster.local", clock, Duration.ofHours(24));
    private final byte[] key = LocalTokens.newKey();
    private final LocalTokens tokens = new LocalTokens(key, clock);
    private final IdentityService service = new IdentityService(ca, tokens, "cluster.local");
    private Controller controller;
    private ManagedChannel channel;
    private IdentityGrpc.IdentityBlockingStub identity;

    @BeforeEach
    void start() {
        controller = Controller.builder().destinationListen(new InetSocketAddress("127.0.0.1", 0))
                .backend(LocalRegistry.open(null, Ticker.system(), AuthorityNormalizer.defaults()))
                .service(service.bindService()).start();
        channel = NettyChannelBuilder.forAddress(controller.destinationAddress()).usePlaintext().build();
        identity = IdentityGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controller.close();
    }

    private static CertifyRequest request(WorkloadIdentity asked, String token, WorkloadIdentity inCsr) {
        return CertifyRequest.newBuilder().setIdentity(asked.dnsName())
                .setToken(ByteString.copyFrom(token, StandardCharsets.US_ASCII))
                .setCertificateSigningRequest(ByteString.copyFrom(WorkloadKeys.csr(WorkloadKeys.generate(), inCsr)))
                .build();
    }

    private void refused(CertifyRequest r, Status.Code code, String reason) {
        assertThatThrownBy(() -> identity.certify(r)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(reason);
        });
    }

    @Test
    void aValidTokenGetsALeafChainedToTheIssuer() throws Exception {
        CertifyResponse r = identity.certify(request(WEB, tokens.mint(WEB, Duration.ofMinutes(5)), WEB));

        CertificateFactory f = CertificateFactory.getInstance("X.509");
        X509Certificate leaf = (X509Certificate) f.generateCertificate(new ByteArrayInputStream(r.getLeafCertificate().toByteArray()));
        X509Certificate issuer = (X509Certificate) f.generateCertificate(
                new ByteArrayInputStream(r.getIntermediateCertificates(0).toByteArray()));
        leaf.verify(issuer.getPublicKey());
        assertThat(issuer).isEqualTo(ca.issuer());
        assertThat(r.getValidUntil().getSeconds()).isEqualTo(leaf.getNotAfter().toInstant().getEpochSecond());
        assertThat(service.certifiedCount()).isEqualTo(1);
    }

    @Test
    void everyBadRequestIsRefusedWithItsReason() {
        WorkloadIdentity admin = new WorkloadIdentity("admin", "kube-system", "cluster.local");
        refused(request(WEB, tokens.mint(admin, Duration.ofMinutes(5)), WEB), Status.Code.PERMISSION_DENIED,
                "the token is for service account admin in kube-system");
        refused(request(WEB, new LocalTokens(LocalTokens.newKey(), clock).mint(WEB, Duration.ofMinutes(5)), WEB),
                Status.Code.PERMISSION_DENIED, "signature is not this controller's");
        Clock past = Clock.offset(clock, Duration.ofHours(-2));
        refused(request(WEB, new LocalTokens(key, past).mint(WEB, Duration.ofMinutes(5)), WEB),
                Status.Code.PERMISSION_DENIED, "the token expired");
        refused(request(WEB, "garbage", WEB), Status.Code.PERMISSION_DENIED, "malformed");
        refused(request(WEB, tokens.mint(WEB, Duration.ofMinutes(5)), admin), Status.Code.INVALID_ARGUMENT,
                "not the identity web.emojivoto");
        WorkloadIdentity elsewhere = new WorkloadIdentity("web", "emojivoto", "other.example");
        refused(request(elsewhere, tokens.mint(elsewhere, Duration.ofMinutes(5)), elsewhere), Status.Code.PERMISSION_DENIED,
                "certifies the trust domain cluster.local only");
        assertThat(service.refusedCount()).isEqualTo(6);
        assertThat(service.certifiedCount()).isZero();
    }
}
