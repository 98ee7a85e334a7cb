package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshj.controller.inject.Manifests;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.Pem;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj install}: every object it prints is accepted by the (CRUD mock) API server, meshj check
 * then passes, the identity files and values given are the ones used, and bad values are named.
 */
@EnableKubernetesMockClient(crud = true)
class InstallCommandTest {

    KubernetesClient client;
    io.fabric8.kubernetes.client.server.mock.KubernetesMockServer server;

    /** The mock says version 0.0 unless told: answer as a supported cluster does. */
    @org.junit.jupiter.api.BeforeEach
    void version() {
        server.setVersionInfo(new io.fabric8.kubernetes.client.VersionInfo.Builder().withMajor("1").withMinor("29")
                .withGitVersion("v1.29.3").build());
    }

    @TempDir
    Path dir;

    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    /** Applies {@code meshj install <args>} object by object, as kubectl apply would; returns the kinds. */
    static List<String> apply(KubernetesClient client, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        assertThat(Main.run(new PrintWriter(o, true), new PrintWriter(e, true), args)).as(e.toString()).isZero();
        List<String> kinds = new ArrayList<>();
        for (Object doc : Manifests.parse(o.toString(), "install").documents()) {
            HasMetadata object = client.getKubernetesSerialization().unmarshal(Manifests.write(List.of(doc), Manifests.Format.YAML));
            client.resource(object).create();
            kinds.add(object.getKind() + "/" + object.getMetadata().getName());
        }
        return kinds;
    }

    @Test
    void everyObjectIsAcceptedAndCheckPasses() {
        assertThat(apply(client, "install", "--crds")).containsExactly("CustomResourceDefinition/serviceprofiles.meshj.io");
        assertThat(apply(client, "install")).contains("Namespace/meshj", "ServiceAccount/meshj-controller",
                "ClusterRole/meshj-controller", "ClusterRoleBinding/meshj-controller-auth-delegator",
                "Secret/meshj-identity-issuer", "ConfigMap/meshj-identity-trust-roots", "Deployment/meshj-controller",
                "Service/meshj-dst", "Service/meshj-identity", "Service/meshj-webhook",
                "MutatingWebhookConfiguration/meshj-proxy-injector", "Deployment/meshj-prometheus",
                "ConfigMap/meshj-prometheus-config", "ConfigMap/meshj-grafana-dashboards");
        // The kubelet's part: the controller's pod runs and is ready.
        client.pods().inNamespace("meshj").resource(new PodBuilder().withNewMetadata().withName("meshj-controller-1")
                .withNamespace("meshj").endMetadata().withNewStatus().addNewCondition().withType("Ready").withStatus("True")
                .endCondition().endStatus().build()).create();

        StringWriter report = new StringWriter();
        assertThat(CheckCommand.kubernetesChecks(client, new PrintWriter(report, true))).as(report.toString()).isTrue();
        assertThat(report.toString()).contains("✔ identity issuer is valid and does not expire within 60 days",
                "✔ injector webhook meshj-proxy-injector is registered with a valid certificate");

        // The trust roots inject reads are the anchor the issuer chains to.
        String roots = client.configMaps().inNamespace("meshj").withName("meshj-identity-trust-roots").get().getData()
                .get("ca-bundle.crt");
        assertThat(roots).startsWith("-----BEGIN CERTIFICATE-----");
    }

    @Test
    void givenIdentityFilesAndValuesAreTheOnesUsed() throws Exception {
        CertificateAuthority ca = CertificateAuthority.generate("cluster.local", Clock.systemUTC(), CertificateAuthority.DEFAULT_LEAF_LIFETIME);
        Path anchor = Files.writeString(dir.resolve("anchor.pem"), Pem.write(ca.trustAnchor()));
        Path issuer = Files.writeString(dir.resolve("issuer.pem"), Pem.write(ca.issuer()));
        Path key = Files.writeString(dir.resolve("issuer-key.pem"), Pem.write(ca.issuerKey()));
        Path values = Files.writeString(dir.resolve("values.yml"), "controllerImage: registry.example/meshj-controller\n"
                + "controllerReplicas: 3\nprometheus: false\n");
        assertThat(run("install", "--values", values.toString(), "--controller-replicas", "2",
                "--identity-trust-anchors-file", anchor.toString(), "--identity-issuer-certificate-file", issuer.toString(),
                "--identity-issuer-key-file", key.toString())).as(err.toString()).isZero();
        String manifests = out.toString();
        assertThat(manifests).contains("image: registry.example/meshj-controller:").contains("replicas: 2")
                .doesNotContain("meshj-prometheus");
        Map<String, Object> secret = documents(manifests).stream().filter(d -> "meshj-identity-issuer".equals(
                ((Map<?, ?>) d.get("metadata")).get("name"))).findFirst().orElseThrow();
        assertThat(((Map<?, ?>) secret.get("stringData")).get("trust-anchor.pem")).isEqualTo(Pem.write(ca.trustAnchor()));
    }

    @Test
    void badValuesAndIdentityFilesAreNamed() throws Exception {
        Path values = Files.writeString(dir.resolve("values.yml"), "controllerImage: x\ncontrollerReplica: 3\n");
        assertThat(run("install", "--values", values.toString())).isEqualTo(1);
        assertThat(err.toString()).startsWith("meshj: " + values + ":2: controllerReplica: unknown value (known: ")
                .doesNotContain("\tat ");
        assertThat(out.toString()).isEmpty();

        CertificateAuthority one = CertificateAuthority.generate("cluster.local", Clock.systemUTC(), CertificateAuthority.DEFAULT_LEAF_LIFETIME);
        CertificateAuthority other = CertificateAuthority.generate("cluster.local", Clock.systemUTC(), CertificateAuthority.DEFAULT_LEAF_LIFETIME);
        Path anchor = Files.writeString(dir.resolve("anchor.pem"), Pem.write(other.trustAnchor()));
        Path issuer = Files.writeString(dir.resolve("issuer.pem"), Pem.write(one.issuer()));
        Path key = Files.writeString(dir.resolve("issuer-key.pem"), Pem.write(one.issuerKey()));
        assertThat(run("install", "--identity-trust-anchors-file", anchor.toString(), "--identity-issuer-certificate-file",
                issuer.toString(), "--identity-issuer-key-file", key.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("the issuer certificate is not signed by the trust anchor");
        assertThat(run("install", "--identity-trust-anchors-file", anchor.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("go together");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> documents(String yaml) {
        return Manifests.parse(yaml, "out").documents().stream().map(d -> (Map<String, Object>) d).toList();
    }
}
