package io.meshj.controller.cli;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshj.controller.inject.InjectOptions;
import io.meshj.controller.inject.Injector;
import io.meshj.controller.inject.Manifests;
import io.meshj.core.MeshVersion;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code meshj inject}: the given manifests with the meshj sidecar added to every workload, on
 * standard output; one report line per resource on standard error (as Linkerd's inject).
 */
@Command(name = "inject", mixinStandardHelpOptions = true,
        description = {"Add the meshj proxy to Kubernetes workloads in YAML or JSON manifests.",
                "Without --manual only the meshj.io/inject: enabled annotation is added, and the controller's"
                        + " webhook injects the pods as they are created."})
final class InjectCommand implements Callable<Integer> {

    /** The ConfigMap {@code meshj install} puts the trust anchors in, in the control-plane namespace. */
    static final String TRUST_ROOTS_CONFIG_MAP = "meshj-identity-trust-roots";

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE|DIR|-", arity = "0..*", description = "Manifests to inject (default: standard input).")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--manual", description = "Add the proxy and init containers now, instead of the annotation.")
    boolean manual;

    @Option(names = "--native-sidecar", description = "Run the proxy as a native sidecar (an init container with restartPolicy: Always).")
    boolean nativeSidecar;

    @Option(names = "--proxy-image", paramLabel = "IMAGE", defaultValue = InjectOptions.DEFAULT_IMAGE,
            description = "The proxy image, without tag (default: ${DEFAULT-VALUE}).")
    String image;

    @Option(names = "--identity-trust-anchors-file", paramLabel = "FILE",
            description = "PEM trust anchors of the mesh (default: read from the cluster's meshj install).")
    Path trustAnchors;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Where to read the trust anchors from when no file is given.")
    Path kubeconfig;

    @Override
    public Integer call() {
        List<Manifests.Parsed> parsed = ManifestInputs.read(inputs, System.in);
        Injector injector = new Injector(InjectOptions.defaults(MeshVersion.current(), manual ? trustAnchorsPem() : "")
                .withImage(image).withNativeSidecar(nativeSidecar));
        List<Injector.Outcome> outcomes = new ArrayList<>();
        for (Manifests.Parsed p : parsed) {
            for (Object d : p.documents()) {
                outcomes.addAll(injector.inject(d, manual));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(ManifestInputs.write(parsed));
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        for (Injector.Outcome o : outcomes) {
            err.println(o.line());
        }
        err.flush();
        return 0;
    }

    /** The trust anchors injected proxies check peers with: the given file, else the cluster's install. */
    private String trustAnchorsPem() {
        if (trustAnchors != null) {
            try {
                String pem = Files.readString(trustAnchors);
                if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
                    throw new IllegalArgumentException(trustAnchors + ": no PEM certificate in it");
                }
                return pem;
            } catch (IOException e) {
                throw new IllegalArgumentException("--identity-trust-anchors-file " + trustAnchors + ": cannot read it: "
                        + e.getMessage(), e);
            }
        }
        Path cluster = ControllerCommand.kubeconfig(spec.commandLine(), false, kubeconfig);
        if (cluster == null) {
            throw new IllegalArgumentException("--manual needs the mesh's trust anchors: give"
                    + " --identity-trust-anchors-file, or a kubeconfig of a cluster where meshj is installed");
        }
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(null, cluster.toFile())).build()) {
            ConfigMap roots = client.configMaps().inNamespace("meshj").withName(TRUST_ROOTS_CONFIG_MAP).get();
            if (roots == null || roots.getData() == null || roots.getData().get("ca-bundle.crt") == null) {
                throw new IllegalArgumentException("no trust anchors in ConfigMap meshj/" + TRUST_ROOTS_CONFIG_MAP
                        + " of " + cluster + " (is meshj installed?); or give --identity-trust-anchors-file");
            }
            return roots.getData().get("ca-bundle.crt");
        } catch (KubernetesClientException e) {
            throw new IllegalArgumentException("cannot read the trust anchors from the cluster of " + cluster + ": "
                    + e.getMessage() + "; or give --identity-trust-anchors-file", e);
        }
    }
}
