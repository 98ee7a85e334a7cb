package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj inject}/{@code uninject} as users run them: manifests on stdout, report lines on stderr,
 * trust anchors from a file or from the cluster's install, and bad input as one line with nothing on
 * stdout.
 */
@EnableKubernetesMockClient(crud = true)
class InjectCommandTest {

    KubernetesClient client;

    @TempDir
    Path dir;

    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void injectPrintsTheGoldenManifestAndReportsEachResource() throws IOException {
        Path workloads = copy("workloads.yml");
        Path anchors = copy("trust-anchor.pem");
        assertThat(run("inject", "--manual", "--identity-trust-anchors-file", anchors.toString(), workloads.toString())).isZero();
        String golden = resource("workloads-injected.yml").replace("meshj/cli test", "meshj/cli " + io.meshj.core.MeshVersion.current())
                .replace("proxy-version: test", "proxy-version: " + io.meshj.core.MeshVersion.current())
                .replace("ghcr.io/meshj/proxy:test", "ghcr.io/meshj/proxy:" + io.meshj.core.MeshVersion.current());
        assertThat(out.toString()).isEqualTo(golden);
        assertThat(err.toString()).contains("deployment \"web\" injected\n", "pod \"node-exporter\" skipped: uses host network\n");

        // ...and uninject gives the input back (as objects: comments and quoting are not kept).
        Path injected = Files.writeString(dir.resolve("injected.yml"), out.toString());
        assertThat(run("uninject", injected.toString())).isZero();
        assertThat(io.meshj.controller.inject.Manifests.parse(out.toString(), "out").documents())
                .isEqualTo(io.meshj.controller.inject.Manifests.parse(resource("workloads.yml"), "in").documents());
        assertThat(err.toString()).contains("deployment \"web\" uninjected\n");
    }

    @Test
    void withoutManualOnlyTheAnnotationIsAdded() throws IOException {
        Path workloads = copy("workloads.yml");
        assertThat(run("inject", workloads.toString())).isZero();
        assertThat(out.toString()).contains("meshj.io/inject: enabled").doesNotContain("meshj-proxy");
        assertThat(err.toString()).contains("deployment \"web\" injected\n");
    }

    @Test
    void theTrustAnchorsComeFromTheClusterWhenNoFileIsGiven() throws IOException {
        String pem = resource("trust-anchor.pem");
        client.configMaps().inNamespace("meshj").resource(new ConfigMapBuilder().withNewMetadata()
                .withName(InjectCommand.TRUST_ROOTS_CONFIG_MAP).withNamespace("meshj").endMetadata()
                .addToData("ca-bundle.crt", pem).build()).create();
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), String.join("\n",
                "apiVersion: v1", "kind: Config",
                "clusters:", "- name: mock", "  cluster:", "    server: " + client.getMasterUrl(),
                "    insecure-skip-tls-verify: true",
                "contexts:", "- name: mock", "  context:", "    cluster: mock", "    user: mock",
                "current-context: mock",
                "users:", "- name: mock", "  user:", "    token: test", ""));
        assertThat(run("inject", "--manual", "--kubeconfig", kubeconfig.toString(), copy("workloads.yml").toString()))
                .as(err.toString()).isZero();
        assertThat(out.toString()).contains(pem.lines().skip(1).findFirst().orElseThrow());

        client.configMaps().inNamespace("meshj").withName(InjectCommand.TRUST_ROOTS_CONFIG_MAP).delete();
        assertThat(run("inject", "--manual", "--kubeconfig", kubeconfig.toString(), copy("workloads.yml").toString())).isEqualTo(1);
        assertThat(err.toString()).startsWith("meshj: no trust anchors in ConfigMap meshj/meshj-identity-trust-roots");
    }

    @Test
    void malformedYamlIsOneLineNamingTheDocumentAndLineAndNothingOnStdout() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.yml"), "kind: Service\nmetadata:\n  name: a\n---\nkind: Pod\nspec:\n  containers: [\n");
        assertThat(run("inject", bad.toString())).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).matches("meshj: " + java.util.regex.Pattern.quote(bad.toString())
                + ": document 2, line \\d+: [^\\n]+\\n");
        assertThat(run("uninject", dir.resolve("missing.yml").toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("meshj: " + dir.resolve("missing.yml") + ": no such file\n");
    }

    private Path copy(String name) throws IOException {
        return Files.writeString(dir.resolve(name), resource(name));
    }

    private static String resource(String name) {
        try (var in = InjectCommandTest.class.getResourceAsStream("/inject/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
