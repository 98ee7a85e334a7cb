package io.meshj.controller.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshj check}: is the control plane healthy? One line per check, ✔ or ✘ with the reason, and a
 * non-zero exit if any failed (the shape of {@code linkerd check}). With a kubeconfig: the API answers,
 * meshj's CRDs are installed, the control-plane pods are ready. Without (or with {@code --local}): the
 * data directory is usable and the local controller answers.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check that the control plane (on Kubernetes, or local) is healthy.")
final class CheckCommand implements Callable<Integer> {

    /** The CRDs meshj installs. */
    static final List<String> CRDS = List.of("serviceprofiles.meshj.io");
    static final String CONTROL_PLANE_NAMESPACE = "meshj";

    /** A name no service has: any answer to it shows the destination API is served. */
    private static final String PROBE = "meshj-check.meshj.svc.cluster.local:1";

    @Spec
    CommandSpec spec;

    @Option(names = "--destination", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8086",
            description = "The controller's destination service (default: ${DEFAULT-VALUE}).")
    String destination;

    @CommandLine.Mixin
    ControllerTlsOptions tls;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "The controller's state directory (default: $MESHJ_HOME, else ~/.meshj).")
    Path dataDir;

    @Option(names = "--local", description = "Check the local control plane even if a kubeconfig is present.")
    boolean local;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "Check the cluster of this kubeconfig (default: $KUBECONFIG, else ~/.kube/config if present).")
    Path kubeconfig;

    @Option(names = "--context", description = "The kubeconfig context to use (default: its current context).")
    String context;

    @Option(names = "--proxy", description = "On Kubernetes, also check that injected pods' proxies are ready.")
    boolean proxy;

    @Option(names = {"-n", "--namespace"}, description = "With --proxy: only this namespace (default: all).")
    String namespace;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Path cluster = ControllerCommand.kubeconfig(spec.commandLine(), local, kubeconfig);
        if (cluster != null) {
            boolean ok;
            try (KubernetesClient client = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(context, cluster.toFile())).build()) {
                ok = kubernetesChecks(client, out);
                if (proxy) {
                    out.println();
                    out.println("meshj-data-plane");
                    out.println("----------------");
                    ok &= proxyChecks(client, namespace, out);
                }
            }
            out.println();
            out.println(ok ? "Status check results are ✔" : "Status check results are ✘");
            return ok ? 0 : 1;
        }
        out.println("meshj-local");
        out.println("-----------");
        Path dir = dataDir != null ? dataDir : ControllerCommand.defaultDataDir();
        boolean ok = report(out, dataDirProblem(dir), "data directory " + dir + " is usable");
        try (DestinationClient client = DestinationClient.connect(spec.commandLine(), destination, tls)) {
            String problem;
            try {
                client.firstAnswer(PROBE);
                problem = null;
            } catch (DestinationClient.ControllerUnavailableException | IllegalArgumentException e) {
                problem = e.getMessage();
            }
            ok &= report(out, problem, "controller answers at " + client.target());
        }
        out.println();
        out.println(ok ? "Status check results are ✔" : "Status check results are ✘");
        return ok ? 0 : 1;
    }

    /** The cluster's checks: the API answers, meshj's CRDs are there, the control plane runs. */
    static boolean kubernetesChecks(KubernetesClient client, PrintWriter out) {
        out.println("kubernetes-api");
        out.println("--------------");
        String version;
        try {
            io.fabric8.kubernetes.client.VersionInfo info = client.getKubernetesVersion();
            version = info == null ? null : info.getGitVersion() != null ? info.getGitVersion()
                    : info.getMajor() == null ? null : info.getMajor() + "." + info.getMinor();
        } catch (KubernetesClientException e) {
            report(out, "cannot query the Kubernetes API at " + client.getMasterUrl() + ": " + e.getMessage(), null);
            return false;
        }
        boolean ok = report(out, null, "can query the Kubernetes API at " + client.getMasterUrl()
                + (version == null ? "" : " (" + version + ")"));
        ok &= report(out, versionProblem(version), "Kubernetes is " + MIN_KUBERNETES + " or newer");
        out.println();
        out.println("meshj-config");
        out.println("------------");
        try {
            for (String crd : CRDS) {
                boolean present = client.apiextensions().v1().customResourceDefinitions().withName(crd).get() != null;
                ok &= report(out, present ? null : "CRD " + crd + " is not installed (run meshj install)",
                        "CRD " + crd + " is installed");
            }
            out.println();
            out.println("meshj-control-plane");
            out.println("-------------------");
            return controlPlaneChecks(client, out) && ok;
        } catch (KubernetesClientException e) {
            // Typically RBAC: say which question could not be asked rather than fail with a trace.
            report(out, "cannot read the cluster's state: " + e.getMessage(), null);
            return false;
        }
    }

    private static boolean controlPlaneChecks(KubernetesClient client, PrintWriter out) {
        boolean ok = true;
        boolean namespace = client.namespaces().withName(CONTROL_PLANE_NAMESPACE).get() != null;
        ok &= report(out, namespace ? null : "control plane namespace " + CONTROL_PLANE_NAMESPACE + " does not exist",
                "control plane namespace " + CONTROL_PLANE_NAMESPACE + " exists");
        if (namespace) {
            List<String> notReady = new ArrayList<>();
            List<Pod> pods = client.pods().inNamespace(CONTROL_PLANE_NAMESPACE).list().getItems();
            for (Pod pod : pods) {
                boolean ready = pod.getStatus() != null && pod.getStatus().getConditions() != null
                        && pod.getStatus().getConditions().stream()
                                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
                if (!ready) {
                    notReady.add(pod.getMetadata().getName());
                }
            }
            String problem = pods.isEmpty() ? "no control plane pods in " + CONTROL_PLANE_NAMESPACE
                    : notReady.isEmpty() ? null : "control plane pods not ready: " + String.join(", ", notReady);
            ok &= report(out, problem, "control plane pods are ready (" + pods.size() + ")");
            ok &= report(out, issuerProblem(client), "identity issuer is valid and does not expire within "
                    + ISSUER_MIN_DAYS + " days");
            ok &= report(out, webhookProblem(client), "injector webhook " + WEBHOOK + " is registered with a valid certificate");
        }
        return ok;
    }

    /** The oldest Kubernetes meshj supports: EndpointSlices v1 and projected token volumes are GA, and admission v1. */
    static final String MIN_KUBERNETES = "1.25";

    /** Why {@code version} (e.g. v1.29.3, or 1.29) is too old or unknown, or null. */
    static String versionProblem(String version) {
        if (version == null) {
            return "the API server did not say its version";
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("v?(\\d+)\\.(\\d+)").matcher(version);
        if (!m.lookingAt()) {
            return "cannot read the Kubernetes version \"" + version + "\"";
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 1 || major == 1 && minor >= 25 ? null
                : "Kubernetes " + version + " is older than " + MIN_KUBERNETES + ", the oldest meshj supports";
    }

    /** Every injected pod's meshj-proxy container (or native sidecar) is ready. */
    static boolean proxyChecks(KubernetesClient client, String namespace, PrintWriter out) {
        List<Pod> pods = namespace == null ? client.pods().inAnyNamespace().list().getItems()
                : client.pods().inNamespace(namespace).list().getItems();
        List<String> notReady = new ArrayList<>();
        int injected = 0;
        for (Pod pod : pods) {
            boolean hasProxy = pod.getSpec() != null && java.util.stream.Stream.concat(
                    pod.getSpec().getContainers() == null ? java.util.stream.Stream.empty() : pod.getSpec().getContainers().stream(),
                    pod.getSpec().getInitContainers() == null ? java.util.stream.Stream.empty() : pod.getSpec().getInitContainers().stream())
                    .anyMatch(c -> io.meshj.controller.inject.Injector.PROXY_CONTAINER.equals(c.getName()));
            if (!hasProxy) {
                continue;
            }
            injected++;
            boolean ready = pod.getStatus() != null && java.util.stream.Stream.concat(
                    pod.getStatus().getContainerStatuses() == null ? java.util.stream.Stream.empty()
                            : pod.getStatus().getContainerStatuses().stream(),
                    pod.getStatus().getInitContainerStatuses() == null ? java.util.stream.Stream.empty()
                            : pod.getStatus().getInitContainerStatuses().stream())
                    .anyMatch(st -> io.meshj.controller.inject.Injector.PROXY_CONTAINER.equals(st.getName())
                            && Boolean.TRUE.equals(st.getReady()));
            if (!ready) {
                notReady.add(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
            }
        }
        String where = namespace == null ? "" : " in " + namespace;
        return report(out, notReady.isEmpty() ? null : "proxies not ready: " + String.join(", ", notReady),
                injected == 0 ? "no injected pods" + where : "proxies of " + injected + " injected pods" + where + " are ready");
    }

    static final int ISSUER_MIN_DAYS = 60;
    static final String WEBHOOK = "meshj-proxy-injector";

    /** What is wrong with the identity issuer install put in the control plane's Secret, or null. */
    private static String issuerProblem(KubernetesClient client) {
        io.fabric8.kubernetes.api.model.Secret secret = client.secrets().inNamespace(CONTROL_PLANE_NAMESPACE)
                .withName("meshj-identity-issuer").get();
        if (secret == null) {
            return "identity issuer secret " + CONTROL_PLANE_NAMESPACE + "/meshj-identity-issuer does not exist (run meshj install)";
        }
        try {
            java.security.cert.X509Certificate anchor = io.meshj.tls.Pem.certificate(secretValue(secret, "trust-anchor.pem"),
                    "meshj-identity-issuer/trust-anchor.pem");
            java.security.cert.X509Certificate issuer = io.meshj.tls.Pem.certificate(secretValue(secret, "issuer.pem"),
                    "meshj-identity-issuer/issuer.pem");
            issuer.verify(anchor.getPublicKey());
            java.time.Instant end = issuer.getNotAfter().toInstant();
            if (end.isBefore(java.time.Instant.now().plus(java.time.Duration.ofDays(ISSUER_MIN_DAYS)))) {
                return "identity issuer expires " + end + ", within " + ISSUER_MIN_DAYS + " days: rotate it";
            }
            return null;
        } catch (IllegalArgumentException | java.security.GeneralSecurityException e) {
            return "identity issuer is not usable: " + e.getMessage();
        }
    }

    /** What is wrong with the injector's webhook registration, or null. */
    private static String webhookProblem(KubernetesClient client) {
        io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration config = client
                .admissionRegistration().v1().mutatingWebhookConfigurations().withName(WEBHOOK).get();
        if (config == null || config.getWebhooks() == null || config.getWebhooks().isEmpty()) {
            return "injector webhook " + WEBHOOK + " is not registered (run meshj install)";
        }
        String bundle = config.getWebhooks().get(0).getClientConfig().getCaBundle();
        try {
            java.security.cert.X509Certificate ca = io.meshj.tls.Pem.certificate(new String(
                    java.util.Base64.getDecoder().decode(bundle), java.nio.charset.StandardCharsets.US_ASCII), WEBHOOK + " caBundle");
            ca.checkValidity();
            return null;
        } catch (IllegalArgumentException | NullPointerException | java.security.GeneralSecurityException e) {
            return "injector webhook " + WEBHOOK + " has no valid CA bundle: " + e.getMessage();
        }
    }

    /** A Secret's value, from data (base64) or stringData (as applied by the mock server or kubectl). */
    private static String secretValue(io.fabric8.kubernetes.api.model.Secret secret, String key) {
        if (secret.getData() != null && secret.getData().get(key) != null) {
            return new String(java.util.Base64.getDecoder().decode(secret.getData().get(key)), java.nio.charset.StandardCharsets.US_ASCII);
        }
        if (secret.getStringData() != null && secret.getStringData().get(key) != null) {
            return secret.getStringData().get(key);
        }
        throw new IllegalArgumentException("no " + key + " in the secret");
    }

    private static String dataDirProblem(Path dir) {
        if (!Files.exists(dir)) {
            return "data directory " + dir + " does not exist (meshj controller creates it)";
        }
        if (!Files.isDirectory(dir)) {
            return "data directory " + dir + " is not a directory";
        }
        if (!Files.isWritable(dir)) {
            return "data directory " + dir + " is not writable";
        }
        return null;
    }

    private static boolean report(PrintWriter out, String problem, String success) {
        if (problem == null) {
            out.println("✔ " + success);
            return true;
        }
        out.println("✘ " + problem);
        return false;
    }
}
