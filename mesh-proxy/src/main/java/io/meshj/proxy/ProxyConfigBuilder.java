package io.meshj.proxy;

import static java.util.Objects.requireNonNull;

import io.meshj.core.name.Authority;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Builds a {@link ProxyConfig}; every setting has the default documented on its accessor. Obtained from
 * {@link ProxyConfig#builder()}.
 */
public final class ProxyConfigBuilder {
    // Package-private, not private: ProxyConfig's constructor reads them directly.
    InetSocketAddress outboundListen = new InetSocketAddress("127.0.0.1", 4140);
    InetSocketAddress inboundListen = new InetSocketAddress("0.0.0.0", 4143);
    InetSocketAddress adminListen = new InetSocketAddress("0.0.0.0", 4191);
    InetSocketAddress tapListen = new InetSocketAddress("0.0.0.0", 4190);
    String logLevel = "info";
    List<Integer> appPorts = List.of();
    Path discoveryFile;
    Authority destination;
    Authority register;
    boolean registerClient;
    Authority identity;
    Path identityTokenFile;
    Path trustAnchors;
    String trustAnchorsPem;
    String controllerIdentity;
    String trustDomain = "cluster.local";
    Set<Integer> requireIdentityPorts = Set.of();
    String registerAddress = "127.0.0.1";
    String serviceAccount = "default";
    String workloadName = defaultWorkloadName();
    String deployment;
    String namespace = "default";
    String clusterDomain = "cluster.local";
    Set<Integer> opaquePorts = ProxyConfig.DEFAULT_OPAQUE_PORTS;
    Authority outboundTcpTarget;
    Duration detectTimeout = Duration.ofSeconds(10);
    Duration connectTimeout = Duration.ofSeconds(1);
    Duration requestTimeout;
    Duration responseHeadTimeout = Duration.ofSeconds(60);
    Duration tcpIdleTimeout = Duration.ofHours(1);
    Duration headerReadTimeout = Duration.ofSeconds(10);
    Duration idleTimeout = Duration.ofSeconds(60);
    int maxHeaderBytes = 64 * 1024;
    Duration shutdownGracePeriod = Duration.ofSeconds(30);
    int eventLoops = 1;
    int maxConnections;

    ProxyConfigBuilder() {
    }

    public ProxyConfigBuilder outboundListen(InetSocketAddress address) {
        this.outboundListen = requireNonNull(address, "address");
        return this;
    }

    public ProxyConfigBuilder inboundListen(InetSocketAddress address) {
        this.inboundListen = requireNonNull(address, "address");
        return this;
    }

    public ProxyConfigBuilder adminListen(InetSocketAddress address) {
        this.adminListen = requireNonNull(address, "address");
        return this;
    }

    /** error, warn, info, debug or trace (any case). */
    public ProxyConfigBuilder logLevel(String level) {
        String l = requireNonNull(level, "level").strip().toLowerCase(java.util.Locale.ROOT);
        if (!java.util.List.of("error", "warn", "info", "debug", "trace").contains(l)) {
            throw new IllegalArgumentException("\"" + level + "\" is not a log level (error, warn, info, debug, trace)");
        }
        this.logLevel = l;
        return this;
    }

    public ProxyConfigBuilder tapListen(InetSocketAddress address) {
        this.tapListen = requireNonNull(address, "address");
        return this;
    }

    public ProxyConfigBuilder appPorts(List<Integer> ports) {
        for (int p : requireNonNull(ports, "ports")) {
            checkPort(p);
        }
        this.appPorts = List.copyOf(ports);
        return this;
    }

    public ProxyConfigBuilder discoveryFile(Path file) {
        this.discoveryFile = file;
        return this;
    }

    /** Registers the application as an endpoint of {@code service} ({@code <service>.<namespace>:<app port>}). */
    public ProxyConfigBuilder register(Authority service) {
        if (service != null && (!service.hasPort() || service.isIpAddress() || service.host().split("\\.").length != 2)) {
            throw new IllegalArgumentException("register " + service + ": expected <service>.<namespace>:<app port>");
        }
        this.register = service;
        return this;
    }

    /** Registers the workload as a client: the controller knows it (stat, edges, tap), nobody resolves it. */
    public ProxyConfigBuilder registerClient(boolean client) {
        this.registerClient = client;
        return this;
    }

    public ProxyConfigBuilder registerAddress(String address) {
        this.registerAddress = requireNonNull(address, "address");
        return this;
    }

    public ProxyConfigBuilder serviceAccount(String serviceAccount) {
        this.serviceAccount = requireNonNull(serviceAccount, "serviceAccount");
        return this;
    }

    public ProxyConfigBuilder deployment(String deployment) {
        this.deployment = requireNonNull(deployment, "deployment");
        return this;
    }

    public ProxyConfigBuilder workloadName(String name) {
        this.workloadName = requireNonNull(name, "name");
        return this;
    }

    private static String defaultWorkloadName() {
        String host = System.getenv("HOSTNAME");
        if (host != null && !host.isBlank()) {
            return host;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** The controller's destination service, host:port; endpoints then come from the controller. */
    public ProxyConfigBuilder destination(Authority address) {
        if (address != null && !address.hasPort()) {
            throw new IllegalArgumentException("destination " + address + " needs a port");
        }
        this.destination = address;
        return this;
    }

    public ProxyConfigBuilder namespace(String namespace) {
        this.namespace = requireNonNull(namespace, "namespace");
        return this;
    }

    public ProxyConfigBuilder clusterDomain(String clusterDomain) {
        this.clusterDomain = requireNonNull(clusterDomain, "clusterDomain");
        return this;
    }

    public ProxyConfigBuilder opaquePorts(Set<Integer> ports) {
        for (int p : requireNonNull(ports, "ports")) {
            checkPort(p);
        }
        this.opaquePorts = Set.copyOf(ports);
        return this;
    }

    public ProxyConfigBuilder outboundTcpTarget(Authority target) {
        if (target != null && !target.hasPort()) {
            throw new IllegalArgumentException("outbound TCP target " + target + " needs a port");
        }
        this.outboundTcpTarget = target;
        return this;
    }

    public ProxyConfigBuilder detectTimeout(Duration d) {
        this.detectTimeout = positive(d, "detectTimeout");
        return this;
    }

    public ProxyConfigBuilder connectTimeout(Duration d) {
        this.connectTimeout = positive(d, "connectTimeout");
        return this;
    }

    /** The response timeout, or {@code null} for none. */
    public ProxyConfigBuilder requestTimeout(Duration d) {
        this.requestTimeout = d == null ? null : positive(d, "requestTimeout");
        return this;
    }

    /**
     * How long a request that was sent whole waits for the first byte of its response when neither a
     * request timeout nor its route's timeout applies; {@link Duration#ZERO} for no limit. Default 60 s.
     */
    public ProxyConfigBuilder responseHeadTimeout(Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("responseHeadTimeout must be zero or positive: " + d);
        }
        this.responseHeadTimeout = d;
        return this;
    }

    /**
     * How long an opaque TCP connection (and a WebSocket) may carry no bytes in either direction before
     * both of its connections are closed; {@link Duration#ZERO} for no limit. Default 1 h, as Envoy's TCP
     * proxy. A connection forwarded because it said nothing during detection gets the shorter
     * {@link #idleTimeout}.
     */
    public ProxyConfigBuilder tcpIdleTimeout(Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("tcpIdleTimeout must be zero or positive: " + d);
        }
        this.tcpIdleTimeout = d;
        return this;
    }

    public ProxyConfigBuilder headerReadTimeout(Duration d) {
        this.headerReadTimeout = positive(d, "headerReadTimeout");
        return this;
    }

    public ProxyConfigBuilder idleTimeout(Duration d) {
        this.idleTimeout = positive(d, "idleTimeout");
        return this;
    }

    public ProxyConfigBuilder maxHeaderBytes(int bytes) {
        if (bytes < 1024 || bytes > 16 * 1024 * 1024) {
            throw new IllegalArgumentException("maxHeaderBytes " + bytes + " must be between 1024 and 16777216");
        }
        this.maxHeaderBytes = bytes;
        return this;
    }

    public ProxyConfigBuilder shutdownGracePeriod(Duration d) {
        requireNonNull(d, "shutdownGracePeriod");
        if (d.isNegative()) {
            throw new IllegalArgumentException("shutdownGracePeriod " + d + " is negative");
        }
        this.shutdownGracePeriod = d;
        return this;
    }

    /** The identity service, host:port; see {@link ProxyConfig#identity()}. */
    public ProxyConfigBuilder identity(Authority identity) {
        this.identity = requireNonNull(identity, "identity");
        return this;
    }

    public ProxyConfigBuilder identityTokenFile(Path file) {
        this.identityTokenFile = requireNonNull(file, "identityTokenFile");
        return this;
    }

    public ProxyConfigBuilder trustAnchors(Path file) {
        this.trustAnchors = requireNonNull(file, "trustAnchors");
        return this;
    }

    public ProxyConfigBuilder trustAnchorsPem(String pem) {
        this.trustAnchorsPem = requireNonNull(pem, "trustAnchorsPem");
        return this;
    }

    /** The identity name the controller must present; see {@link ProxyConfig#controllerIdentity()}. */
    public ProxyConfigBuilder controllerIdentity(String name) {
        io.meshj.tls.WorkloadIdentity.parseDnsName(requireNonNull(name, "controllerIdentity"));
        this.controllerIdentity = name;
        return this;
    }

    public ProxyConfigBuilder trustDomain(String trustDomain) {
        this.trustDomain = requireNonNull(trustDomain, "trustDomain");
        return this;
    }

    public ProxyConfigBuilder requireIdentityPorts(Set<Integer> ports) {
        ports.forEach(ProxyConfigBuilder::checkPort);
        this.requireIdentityPorts = Set.copyOf(ports);
        return this;
    }

    /**
     * The most client connections both listeners hold together; more are refused at accept. 0 (the
     * default): one per 16 KiB of maximum heap (4,096 for the sidecar's 64 MB), which leaves an idle
     * HTTP/2 connection's ~5.4 KB room beside the requests in flight.
     */
    public ProxyConfigBuilder maxConnections(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("maxConnections must be zero (automatic) or positive: " + n);
        }
        this.maxConnections = n;
        return this;
    }

    public ProxyConfigBuilder eventLoops(int n) {
        if (n < 0 || n > 1024) {
            throw new IllegalArgumentException("eventLoops " + n + " must be between 0 and 1024");
        }
        this.eventLoops = n;
        return this;
    }

    public ProxyConfig build() {
        if (discoveryFile != null && destination != null) {
            throw new IllegalArgumentException("discovery-file and destination are two discovery backends: give one");
        }
        if (registerClient && register != null) {
            throw new IllegalArgumentException("register-client and register: a registered endpoint is known already, give one");
        }
        if (registerClient && (destination == null || identityTokenFile == null)) {
            throw new IllegalArgumentException("register-client needs destination (the controller it registers with) and"
                    + " identity-token-file (the controller registers only workloads that prove their identity)");
        }
        if (register != null && destination == null) {
            throw new IllegalArgumentException("register needs destination: the controller it registers with");
        }
        if (register != null && !appPorts.contains(register.port())) {
            throw new IllegalArgumentException("register " + register + ": port " + register.port()
                    + " is not one of app-ports " + appPorts);
        }
        if (register != null && identityTokenFile == null) {
            throw new IllegalArgumentException("register needs identity-token-file: the controller registers only"
                    + " workloads that prove their identity (meshj identity token)");
        }
        if (register != null && identity != null && register.host().indexOf('.') > 0
                && !register.host().substring(register.host().indexOf('.') + 1).equals(namespace)) {
            throw new IllegalArgumentException("register " + register + " is in another namespace than the proxy's"
                    + " identity (namespace " + namespace + "): set namespace to match");
        }
        if (trustAnchors != null && trustAnchorsPem != null) {
            throw new IllegalArgumentException("trust-anchors and trust-anchors-pem both name the trust anchors: give one");
        }
        boolean hasAnchors = trustAnchors != null || trustAnchorsPem != null;
        if (identity != null && (identityTokenFile == null || !hasAnchors)) {
            throw new IllegalArgumentException("identity needs identity-token-file (the proof of identity) and"
                    + " trust-anchors (the roots peers chain to)");
        }
        if (controllerIdentity != null && !hasAnchors) {
            throw new IllegalArgumentException("controller-identity needs trust-anchors: the roots the controller's"
                    + " certificate must chain to");
        }
        if (!appPorts.containsAll(requireIdentityPorts)) {
            throw new IllegalArgumentException("require-identity-ports " + requireIdentityPorts
                    + " must be application ports (app-ports " + appPorts + ")");
        }
        if (!requireIdentityPorts.isEmpty() && identity == null) {
            throw new IllegalArgumentException("require-identity-ports needs identity: without a certificate the"
                    + " proxy cannot accept mTLS");
        }
        return new ProxyConfig(this);
    }

    private static Duration positive(Duration d, String name) {
        requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " " + d + " must be positive");
        }
        return d;
    }

    private static void checkPort(int p) {
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is out of range 1-65535");
        }
    }
}
