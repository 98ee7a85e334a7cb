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
}
