package io.meshj.controller.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshj.controller.Controller;
import io.meshj.controller.identity.IdentityService;
import io.meshj.controller.identity.KubernetesTokenReviewer;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.proxy.MeshProxy;
import io.meshj.proxy.ProxyConfig;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.Pem;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller on Kubernetes certifies a sidecar that proves its service account with a projected
 * token (reviewed by the API server for the audience identity.meshj.io), and refuses one whose token
 * belongs to another account. The mock API server keeps pods and services in CRUD mode and answers
 * TokenReviews for tokens {@code sa:<ns>:<sa>:<audience>}.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesIdentityIT {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    private KubernetesDiscovery discovery;
    private Controller controller;
    private IdentityService identity;
    private CertificateAuthority ca;

    @BeforeEach
    void start() throws Exception {
        server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReply(201, request -> {
            TokenReview asked = client.getKubernetesSerialization().unmarshal(request.getBody().readUtf8(), TokenReview.class);
            String[] parts = asked.getSpec().getToken().split(":");
            boolean ok = parts.length == 4 && asked.getSpec().getAudiences().contains(parts[3]);
            return new TokenReviewBuilder(asked).withNewStatus().withAuthenticated(ok).withAudiences(ok ? List.of(parts[3]) : List.of())
                    .withNewUser().withUsername(ok ? "system:serviceaccount:" + parts[1] + ":" + parts[2] : null).endUser()
                    .endStatus().build();
        }).always();
        discovery = KubernetesDiscovery.start(client, AuthorityNormalizer.defaults());
        ca = CertificateAuthority.generate("cluster.local", Clock.systemUTC(), Duration.ofHours(24));
        identity = new IdentityService(ca, new KubernetesTokenReviewer(client), "cluster.local");
        controller = Controller.builder().destinationListen(new InetSocketAddress("127.0.0.1", 0)).backend(discovery)
                .identity(new InetSocketAddress("127.0.0.1", 0), identity.bindService()).start();
        Files.writeString(dir.resolve("anchors.pem"), Pem.write(ca.trustAnchor()));
    }

    @AfterEach
    void stop() {
        controller.close();
        discovery.close();
    }

    private MeshProxy sidecar(String serviceAccount, String token) throws Exception {
        Path file = Files.writeString(dir.resolve(serviceAccount + "-" + token.hashCode() + ".token"), token);
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        InetSocketAddress id = controller.identityAddress().orElseThrow();
        return MeshProxy.start(ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any)
                .identity(Authority.of("127.0.0.1", id.getPort())).identityTokenFile(file)
                .trustAnchors(dir.resolve("anchors.pem")).serviceAccount(serviceAccount).namespace("emojivoto").build());
    }

    @Test
    void aSidecarWithItsServiceAccountsTokenIsCertifiedAndOneWithAnothersIsNot() throws Exception {
        try (MeshProxy web = sidecar("web", "sa:emojivoto:web:identity.meshj.io");
                MeshProxy impostor = sidecar("web", "sa:emojivoto:emoji:identity.meshj.io")) {
            await().atMost(Duration.ofSeconds(10)).until(web::isReady);
            assertThat(web.certifier().orElseThrow().current().orElseThrow().leaf().getSubjectX500Principal().getName())
                    .isEqualTo("CN=web.emojivoto.serviceaccount.identity.meshj.cluster.local");
            await().atMost(Duration.ofSeconds(10)).until(() -> identity.refusedCount() >= 1);
            assertThat(impostor.isReady()).isFalse();
            assertThat(impostor.certifier().orElseThrow().failureCount()).isPositive();
        }
    }
}
