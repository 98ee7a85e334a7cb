package io.meshj.proxy.embedded;

import static java.util.Objects.requireNonNull;

import io.meshj.core.ConfigException;
import io.meshj.core.name.Authority;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A mesh's configuration, from {@link Mesh#builder()}. Each setting has an environment variable and a
 * system property (which wins), applied by {@link #fromEnvironment}: {@code MESHJ_TOKEN_FILE} /
 * {@code meshj.token.file}.
 */
public final class MeshBuilder {
    private Authority destination = Authority.of("127.0.0.1", 8086);
    private Authority identityService = Authority.of("127.0.0.1", 8080);
    private String namespace = "default";
    private String serviceAccount = "default";
    private Path tokenFile;
    private Path trustAnchors;
    private String trustDomain = "cluster.local";
    private String clusterDomain = "cluster.local";
    private String workloadName;
    private String service;
    private String deployment;
    private String registerAddress = "127.0.0.1";
    private InetSocketAddress adminListen = new InetSocketAddress("127.0.0.1", 0);
    private InetSocketAddress tapListen = new InetSocketAddress("127.0.0.1", 0);
    private String controllerIdentity;
    private PrometheusMeterRegistry registry;

    MeshBuilder() {
    }

    /** Every setting, by variable: {@code MESHJ_<NAME>} and {@code meshj.<name>} with dots. */
    private static final List<String> VARIABLES = List.of("DESTINATION", "IDENTITY", "NAMESPACE", "SERVICE_ACCOUNT",
            "TOKEN_FILE", "TRUST_ANCHORS", "TRUST_DOMAIN", "CLUSTER_DOMAIN", "WORKLOAD_NAME", "SERVICE", "DEPLOYMENT",
            "REGISTER_ADDRESS", "ADMIN_LISTEN", "TAP_LISTEN", "CONTROLLER_IDENTITY");

    /**
     * Applies the settings present in {@code env} ({@code MESHJ_*}) and {@code properties}
     * ({@code meshj.*}, which win).
     *
     * @throws ConfigException naming the variable or property and its value when one is invalid
     */
    public MeshBuilder fromEnvironment(Map<String, String> env, java.util.Properties properties) {
        for (String v : VARIABLES) {
            String property = "meshj." + v.toLowerCase(java.util.Locale.ROOT).replace('_', '.');
            String value = properties.getProperty(property);
            String source = property;
            if (value == null) {
                value = env.get("MESHJ_" + v);
                source = "MESHJ_" + v;
            }
            if (value == null || value.isBlank()) {
                continue;
            }
            try {
                apply(v, value.strip());
            } catch (RuntimeException e) {
                throw new ConfigException(source, 0, "", "\"" + value + "\": " + e.getMessage(), e);
            }
        }
        return this;
    }

    private void apply(String variable, String v) {
        switch (variable) {
            case "DESTINATION" -> destination(v);
            case "IDENTITY" -> identityService(v);
            case "NAMESPACE" -> namespace(v);
            case "SERVICE_ACCOUNT" -> serviceAccount(v);
            case "TOKEN_FILE" -> tokenFile(Path.of(v));
            case "TRUST_ANCHORS" -> trustAnchors(Path.of(v));
            case "TRUST_DOMAIN" -> trustDomain(v);
            case "CLUSTER_DOMAIN" -> clusterDomain = v;
            case "WORKLOAD_NAME" -> workloadName(v);
            case "SERVICE" -> service(v);
            case "DEPLOYMENT" -> deployment(v);
            case "REGISTER_ADDRESS" -> registerAddress(v);
            case "ADMIN_LISTEN" -> adminListen = listen(v);
            case "TAP_LISTEN" -> tapListen = listen(v);
            case "CONTROLLER_IDENTITY" -> controllerIdentity = v;
            default -> throw new IllegalStateException(variable);
        }
    }

    private static InetSocketAddress listen(String v) {
        Authority a = Authority.parse(v);
        if (!a.hasPort()) {
            throw new IllegalArgumentException("needs host:port");
        }
        return new InetSocketAddress(a.host(), a.port());
    }

    private static Authority hostPort(String v) {
        Authority a = Authority.parse(requireNonNull(v, "host:port"));
        if (!a.hasPort()) {
            throw new IllegalArgumentException("needs host:port");
        }
        return a;
    }

    /** The controller's destination service (also its registry), host:port; default 127.0.0.1:8086. */
    public MeshBuilder destination(String hostPort) {
        this.destination = hostPort(hostPort);
        return this;
    }

    /** The controller's identity service, host:port; default 127.0.0.1:8080. */
    public MeshBuilder identityService(String hostPort) {
        this.identityService = hostPort(hostPort);
        return this;
    }

    public MeshBuilder namespace(String namespace) {
        this.namespace = requireNonNull(namespace, "namespace");
        return this;
    }

    public MeshBuilder serviceAccount(String serviceAccount) {
        this.serviceAccount = requireNonNull(serviceAccount, "serviceAccount");
        return this;
    }

    /** The token proving the workload's identity ({@code meshj identity token}); read at each use. Required. */
    public MeshBuilder tokenFile(Path tokenFile) {
        this.tokenFile = requireNonNull(tokenFile, "tokenFile");
        return this;
    }

    /** PEM file of the mesh's trust anchors. Required. */
    public MeshBuilder trustAnchors(Path trustAnchors) {
        this.trustAnchors = requireNonNull(trustAnchors, "trustAnchors");
        return this;
    }

    public MeshBuilder trustDomain(String trustDomain) {
        this.trustDomain = requireNonNull(trustDomain, "trustDomain");
        return this;
    }

    /** The workload's name (the pod label); default the host name. */
    public MeshBuilder workloadName(String workloadName) {
        this.workloadName = requireNonNull(workloadName, "workloadName");
        return this;
    }

    /** The service its servers register as an endpoint of; default the service account. */
    public MeshBuilder service(String service) {
        this.service = requireNonNull(service, "service");
        return this;
    }

    /** The deployment stat groups it in; default the service account. */
    public MeshBuilder deployment(String deployment) {
        this.deployment = requireNonNull(deployment, "deployment");
        return this;
    }

    /** The address peers reach its servers at (an IP literal); default 127.0.0.1. */
    public MeshBuilder registerAddress(String registerAddress) {
        this.registerAddress = requireNonNull(registerAddress, "registerAddress");
        return this;
    }

    /** Where its admin server ({@code /metrics}, {@code /ready}) listens; default 127.0.0.1, any port. */
    public MeshBuilder adminListen(InetSocketAddress address) {
        this.adminListen = requireNonNull(address, "address");
        return this;
    }

    /** Where its tap server listens (for the controller only); default 127.0.0.1, any port. */
    public MeshBuilder tapListen(InetSocketAddress address) {
        this.tapListen = requireNonNull(address, "address");
        return this;
    }

    /** TLS to the controller, which must present this identity (default plaintext, as the local controller). */
    public MeshBuilder controllerIdentity(String dnsName) {
        this.controllerIdentity = requireNonNull(dnsName, "dnsName");
        return this;
    }

    /** Records the mesh's series in the application's own registry instead of one of its own. */
    public MeshBuilder meterRegistry(PrometheusMeterRegistry registry) {
        this.registry = requireNonNull(registry, "registry");
        return this;
    }

    /**
     * Starts the mesh: asks for the workload's certificate (see {@link Mesh#awaitReady}) and binds the
     * admin and tap servers.
     *
     * @throws ConfigException when the token file or trust anchors are missing or unreadable
     */
    public Mesh build() {
        if (tokenFile == null) {
            throw new ConfigException("MESHJ_TOKEN_FILE", 0, "", "not set: the file with the workload's token"
                    + " (meshj identity token --sa " + serviceAccount + " -n " + namespace + ")");
        }
        if (trustAnchors == null) {
            throw new ConfigException("MESHJ_TRUST_ANCHORS", 0, "", "not set: the PEM file of the mesh's trust anchors");
        }
        if (!java.nio.file.Files.isReadable(tokenFile)) {
            throw new ConfigException("MESHJ_TOKEN_FILE", 0, "", tokenFile + " cannot be read");
        }
        String name = workloadName != null ? workloadName : hostName();
        String svc = service != null ? service : serviceAccount;
        String dep = deployment != null ? deployment : serviceAccount;
        return new Mesh(new MeshSettings(destination, identityService, namespace, serviceAccount, tokenFile, trustAnchors,
                trustDomain, clusterDomain, name, svc, dep, registerAddress, adminListen, tapListen,
                controllerIdentity, registry));
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }
}
