package io.meshj.controller.cli;

import io.meshj.controller.inject.InjectOptions;
import io.meshj.controller.inject.Manifests;
import io.meshj.controller.install.InstallManifests;
import io.meshj.controller.install.InstallValues;
import io.meshj.core.ConfigException;
import io.meshj.core.MeshVersion;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.Pem;
import io.meshj.tls.WorkloadIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code meshj install}: prints the control plane's manifests for {@code kubectl apply -f -}, with a
 * freshly generated trust anchor, identity issuer and webhook certificate unless given. As Linkerd's
 * install, the CRDs come apart ({@code --crds}) so they exist before anything that uses them.
 */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Print the Kubernetes manifests of the meshj control plane (apply the --crds output first):",
                "  meshj install --crds | kubectl apply -f -",
                "  meshj install | kubectl apply -f -"})
final class InstallCommand implements Callable<Integer> {

    /** The values a --values file may set, each also a flag. */
    static final Set<String> VALUES = Set.of("controllerImage", "proxyImage", "controllerReplicas", "controllerCpuRequest",
            "controllerMemoryRequest", "controllerMemoryLimit", "prometheus", "prometheusImage");

    @Spec
    CommandSpec spec;

    @Option(names = "--crds", description = "Print only the CustomResourceDefinitions.")
    boolean crds;

    @Option(names = "--values", paramLabel = "FILE", description = "YAML of values: " + "controllerImage, proxyImage,"
            + " controllerReplicas, controllerCpuRequest, controllerMemoryRequest, controllerMemoryLimit, prometheus,"
            + " prometheusImage (flags win).")
    Path valuesFile;

    @Option(names = "--controller-image", paramLabel = "IMAGE", description = "Default: ghcr.io/meshj/controller.")
    String controllerImage;

    @Option(names = "--proxy-image", paramLabel = "IMAGE", description = "Default: " + InjectOptions.DEFAULT_IMAGE + ".")
    String proxyImage;

    @Option(names = "--controller-replicas", paramLabel = "N", description = "Default: 1.")
    Integer controllerReplicas;

    @Option(names = "--prometheus", paramLabel = "true|false", arity = "1",
            description = "Install a Prometheus that scrapes the proxies (default: true).")
    Boolean prometheus;

    @Option(names = "--identity-trust-anchors-file", paramLabel = "FILE", description = "PEM trust anchor (default: generated).")
    Path trustAnchorsFile;

    @Option(names = "--identity-issuer-certificate-file", paramLabel = "FILE", description = "PEM issuer certificate, signed by the anchor.")
    Path issuerCertificateFile;

    @Option(names = "--identity-issuer-key-file", paramLabel = "FILE", description = "PEM issuer private key.")
    Path issuerKeyFile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (crds) {
            out.print(Manifests.write(InstallManifests.crds(), Manifests.Format.YAML));
            out.flush();
            return 0;
        }
        Map<String, String> values = valuesFile == null ? Map.of() : readValues(valuesFile);
        InstallValues v = values(values);
        out.print(Manifests.write(InstallManifests.controlPlane(v), Manifests.Format.YAML));
        out.flush();
        return 0;
    }

    private InstallValues values(Map<String, String> file) {
        Clock clock = Clock.systemUTC();
        String anchor;
        String issuer;
        String issuerKey;
        if (trustAnchorsFile != null || issuerCertificateFile != null || issuerKeyFile != null) {
            if (trustAnchorsFile == null || issuerCertificateFile == null || issuerKeyFile == null) {
                throw new ParameterException(spec.commandLine(), "--identity-trust-anchors-file,"
                        + " --identity-issuer-certificate-file and --identity-issuer-key-file go together");
            }
            anchor = read(trustAnchorsFile);
            issuer = read(issuerCertificateFile);
            issuerKey = read(issuerKeyFile);
            try {
                CertificateAuthority.of(Pem.certificate(anchor, trustAnchorsFile.toString()),
                        Pem.certificate(issuer, issuerCertificateFile.toString()),
                        Pem.privateKey(issuerKey, issuerKeyFile.toString()), clock, CertificateAuthority.DEFAULT_LEAF_LIFETIME);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the identity files do not make an issuer: " + e.getMessage(), e);
            }
        } else {
            CertificateAuthority ca = CertificateAuthority.generate(WorkloadIdentity.DEFAULT_TRUST_DOMAIN, clock,
                    CertificateAuthority.DEFAULT_LEAF_LIFETIME);
            anchor = Pem.write(ca.trustAnchor());
            issuer = Pem.write(ca.issuer());
            issuerKey = Pem.write(ca.issuerKey());
        }
        // The API server calls the webhook at its Service's name, checking it against this certificate.
        CertificateAuthority.ServerCertificate webhook = CertificateAuthority.serverCertificate(
                List.of("meshj-webhook.meshj.svc", "meshj-webhook.meshj.svc.cluster.local"), clock, Duration.ofDays(365));
        return new InstallValues(MeshVersion.current(),
                pick(controllerImage, file.get("controllerImage"), "ghcr.io/meshj/controller"),
                pick(proxyImage, file.get("proxyImage"), InjectOptions.DEFAULT_IMAGE),
                controllerReplicas != null ? positive(controllerReplicas, "--controller-replicas")
                        : file.containsKey("controllerReplicas") ? replicas(file.get("controllerReplicas")) : 1,
                pick(null, file.get("controllerCpuRequest"), "100m"),
                pick(null, file.get("controllerMemoryRequest"), "256Mi"),
                pick(null, file.get("controllerMemoryLimit"), "512Mi"),
                prometheus != null ? prometheus : !"false".equals(file.getOrDefault("prometheus", "true")),
                pick(null, file.get("prometheusImage"), "prom/prometheus:v2.53.2"),
                WorkloadIdentity.DEFAULT_TRUST_DOMAIN, anchor, issuer, issuerKey,
                Pem.write(webhook.ca()), Pem.write(webhook.certificate()), Pem.write(webhook.key()));
    }

    private int positive(int n, String option) {
        if (n < 1) {
            throw new ParameterException(spec.commandLine(), option + " " + n + ": must be at least 1");
        }
        return n;
    }

    private int replicas(String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ConfigException(valuesFile.toString(), 0, "controllerReplicas", "\"" + value + "\" is not a number of at least 1");
    }

    private static String pick(String flag, String file, String otherwise) {
        return flag != null ? flag : file != null ? file : otherwise;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
        }
    }

    /** A values file: a map of known keys to scalars; errors name the file, line and key. */
    static Map<String, String> readValues(Path file) {
        String text = read(file);
        Node root;
        try {
            root = new Compose(LoadSettings.builder().setLabel(file.toString()).build()).composeString(text).orElse(null);
        } catch (MarkedYamlEngineException e) {
            throw new ConfigException(file.toString(), e.getProblemMark().map(m -> m.getLine() + 1).orElse(0), "",
                    e.getProblem());
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (root == null) {
            return out;
        }
        if (!(root instanceof MappingNode map)) {
            throw new ConfigException(file.toString(), line(root), "", "expected a map of values");
        }
        for (NodeTuple t : map.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw new ConfigException(file.toString(), line(t.getKeyNode()), "", "expected a value name");
            }
            if (!VALUES.contains(k.getValue())) {
                throw new ConfigException(file.toString(), line(k), k.getValue(), "unknown value (known: "
                        + String.join(", ", new java.util.TreeSet<>(VALUES)) + ")");
            }
            if (!(t.getValueNode() instanceof ScalarNode v)) {
                throw new ConfigException(file.toString(), line(t.getValueNode()), k.getValue(), "expected a single value");
            }
            out.put(k.getValue(), v.getValue());
        }
        return out;
    }

    private static int line(Node n) {
        return n.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }
}
