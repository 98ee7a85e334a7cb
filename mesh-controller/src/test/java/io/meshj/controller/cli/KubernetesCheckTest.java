package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The Kubernetes checks of {@code meshj check}, against the CRUD mock API server. */
@EnableKubernetesMockClient(crud = true)
class KubernetesCheckTest {

    KubernetesClient client;
    io.fabric8.kubernetes.client.server.mock.KubernetesMockServer server;

    /** The mock says version 0.0 unless told: answer as a supported cluster does. */
    @org.junit.jupiter.api.BeforeEach
    void version() {
        server.setVersionInfo(new io.fabric8.kubernetes.client.VersionInfo.Builder().withMajor("1").withMinor("29")
                .withGitVersion("v1.29.3").build());
    }

    private final StringWriter out = new StringWriter();

    private void pod(String name, String ready) {
        client.pods().inNamespace("meshj").resource(new PodBuilder().withNewMetadata().withName(name).withNamespace("meshj")
                .endMetadata().withNewStatus().addNewCondition().withType("Ready").withStatus(ready).endCondition()
                .endStatus().build()).create();
    }

    @Test
    void aHealthyControlPlanePassesEveryCheck() {
        InstallCommandTest.apply(client, "install", "--crds");
        InstallCommandTest.apply(client, "install", "--prometheus=false");
        pod("meshj-controller-1", "True");

        assertThat(CheckCommand.kubernetesChecks(client, new PrintWriter(out, true))).isTrue();
        assertThat(out.toString()).contains("✔ can query the Kubernetes API at " + client.getMasterUrl())
                .contains("✔ CRD serviceprofiles.meshj.io is installed")
                .contains("✔ control plane namespace meshj exists")
                .contains("✔ control plane pods are ready (1)");
    }

    @Test
    void eachProblemIsNamed() {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("meshj").endMetadata().build()).create();
        pod("meshj-controller-1", "False");

        assertThat(CheckCommand.kubernetesChecks(client, new PrintWriter(out, true))).isFalse();
        assertThat(out.toString()).contains("✘ CRD serviceprofiles.meshj.io is not installed (run meshj install)")
                .contains("✘ control plane pods not ready: meshj-controller-1")
                .contains("✘ identity issuer secret meshj/meshj-identity-issuer does not exist (run meshj install)")
                .contains("✘ injector webhook meshj-proxy-injector is not registered (run meshj install)");
    }

    @Test
    void versionsOlderThanSupportedAreNamed() {
        assertThat(CheckCommand.versionProblem("v1.29.3")).isNull();
        assertThat(CheckCommand.versionProblem("1.25")).isNull();
        assertThat(CheckCommand.versionProblem("v1.24.9-gke.1")).isEqualTo(
                "Kubernetes v1.24.9-gke.1 is older than 1.25, the oldest meshj supports");
        assertThat(CheckCommand.versionProblem(null)).isEqualTo("the API server did not say its version");
    }

    @Test
    void proxiesOfInjectedPodsMustBeReady() {
        injectedPod("shop", "web-1", true);
        injectedPod("shop", "web-2", false);
        client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("plain").withNamespace("shop")
                .endMetadata().withNewSpec().addNewContainer().withName("app").withImage("i").endContainer().endSpec().build()).create();
        StringWriter report = new StringWriter();
        assertThat(CheckCommand.proxyChecks(client, null, new PrintWriter(report, true))).isFalse();
        assertThat(report.toString()).isEqualTo("✘ proxies not ready: shop/web-2\n");
        client.pods().inNamespace("shop").withName("web-2").delete();
        report = new StringWriter();
        assertThat(CheckCommand.proxyChecks(client, "shop", new PrintWriter(report, true))).isTrue();
        assertThat(report.toString()).isEqualTo("✔ proxies of 1 injected pods in shop are ready\n");
    }

    private void injectedPod(String ns, String name, boolean ready) {
        client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewSpec().addNewContainer().withName("meshj-proxy").withImage("p").endContainer()
                .addNewContainer().withName("app").withImage("i").endContainer().endSpec()
                .withNewStatus().addNewContainerStatus().withName("meshj-proxy").withReady(ready).endContainerStatus()
                .endStatus().build()).create();
    }
}
