package io.meshj.proxy;

import io.meshj.core.name.Authority;
import io.meshj.core.time.Durations;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sidecar's settings. Built with {@link #builder()}, or from command-line flags and
 * {@code MESHJ_PROXY_*} environment variables with {@link ProxyOptions#parse}; {@link #describe()}
 * prints the effective values, which the proxy logs once at start.
 *
 * <p>Immutable.
 */
public final class ProxyConfig {

    /** Ports whose protocols speak first or are never HTTP: detection would only add a stall. */
    public static final Set<Integer> DEFAULT_OPAQUE_PORTS =
            Collections.unmodifiableSet(new TreeSet<>(List.of(25, 587, 3306, 4444, 5432, 6379, 9300, 11211)));

    private final InetSocketAddress outboundListen;
    private final InetSocketAddress inboundListen;
    private final InetSocketAddress adminListen;
    private final InetSocketAddress tapListen;
    private final List<Integer> appPorts;
    private final Path discoveryFile;
    private final Authority destination;
    private final Authority register;
    private final boolean registerClient;
    private final String registerAddress;
    private final String serviceAccount;
    private final String workloadName;
    private final String deployment;
    private final String namespace;
    private final String clusterDomain;
    private final Set<Integer> opaquePorts;
    private final Authority identity;
    private final Path identityTokenFile;
    private final Path trustAnchors;
    private final String trustAnchorsPem;
    private final String controllerIdentity;
    private final String trustDomain;
    private final Set<Integer> requireIdentityPorts;
    private final Authority outboundTcpTarget;
    private final Duration detectTimeout;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Duration responseHeadTimeout;
    private final Duration tcpIdleTimeout;
    private final int maxConnections;
    private final Duration headerReadTimeout;
    private final Duration idleTimeout;
    private final int maxHeaderBytes;
    private final Duration shutdownGracePeriod;
    private final int eventLoops;
    private final String logLevel;

    // Package-private, not private: ProxyConfigBuilder#build() calls it once the settings agree.
    ProxyConfig(ProxyConfigBuilder b) {
        this.outboundListen = b.outboundListen;
        this.inboundListen = b.inboundListen;
        this.adminListen = b.adminListen;
        this.tapListen = b.tapListen;
        this.logLevel = b.logLevel;
        this.appPorts = List.copyOf(b.appPorts);
        this.discoveryFile = b.discoveryFile;
        this.destination = b.destination;
        this.register = b.register;
        this.registerClient = b.registerClient;
        this.registerAddress = b.registerAddress;
        this.serviceAccount = b.serviceAccount;
        this.workloadName = b.workloadName;
        this.deployment = b.deployment;
        this.namespace = b.namespace;
        this.clusterDomain = b.clusterDomain;
        this.opaquePorts = Collections.unmodifiableSet(new TreeSet<>(b.opaquePorts));
        this.identity = b.identity;
        this.identityTokenFile = b.identityTokenFile;
        this.trustAnchors = b.trustAnchors;
        this.trustAnchorsPem = b.trustAnchorsPem;
        this.controllerIdentity = b.controllerIdentity;
        this.trustDomain = b.trustDomain;
        this.requireIdentityPorts = Collections.unmodifiableSet(new TreeSet<>(b.requireIdentityPorts));
        this.outboundTcpTarget = b.outboundTcpTarget;
        this.detectTimeout = b.detectTimeout;
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
        this.responseHeadTimeout = b.responseHeadTimeout;
        this.tcpIdleTimeout = b.tcpIdleTimeout;
        this.maxConnections = b.maxConnections > 0 ? b.maxConnections
                : (int) Math.max(256, Math.min(1_000_000, Runtime.getRuntime().maxMemory() / (16 * 1024)));
        this.headerReadTimeout = b.headerReadTimeout;
        this.idleTimeout = b.idleTimeout;
        this.maxHeaderBytes = b.maxHeaderBytes;
        this.shutdownGracePeriod = b.shutdownGracePeriod;
        this.eventLoops = b.eventLoops;
    }

    public static ProxyConfigBuilder builder() {
        return new ProxyConfigBuilder();
    }

    /** Where the outbound listener binds; the application's outgoing traffic arrives here. Default 127.0.0.1:4140. */
    public InetSocketAddress outboundListen() {
        return outboundListen;
    }

    /** Where the inbound listener binds; traffic for the application arrives here. Default 0.0.0.0:4143. */
    public InetSocketAddress inboundListen() {
        return inboundListen;
    }

    /** Where the admin server binds ({@code /live}, {@code /ready}, {@code /metrics}). Default 0.0.0.0:4191. */
    public InetSocketAddress adminListen() {
        return adminListen;
    }

    /** How much the proxy logs: error, warn, info (the default), debug or trace. */
    public String logLevel() {
        return logLevel;
    }

    /** {@link #logLevel()} as a java.util.logging level (what the proxy's System.Logger writes through). */
    public java.util.logging.Level julLevel() {
        return switch (logLevel) {
            case "error" -> java.util.logging.Level.SEVERE;
            case "warn" -> java.util.logging.Level.WARNING;
            case "debug" -> java.util.logging.Level.FINE;
            case "trace" -> java.util.logging.Level.FINEST;
            default -> java.util.logging.Level.INFO;
        };
    }

    /**
     * Where the tap server binds (gRPC {@code io.meshj.api.tap.v1.Tap}): with an identity it serves only
     * the controller's, over mTLS; without one, only callers on loopback. Default 0.0.0.0:4190.
     */
    public InetSocketAddress tapListen() {
        return tapListen;
    }

    /**
     * The application's ports on 127.0.0.1 that inbound traffic may go to. A connection iptables
     * redirected goes to its original destination's port when that port is listed (or when none is);
     * otherwise an HTTP request goes to the port of its authority when that port is listed, else to the
     * first, and opaque TCP to the first.
     */
    public List<Integer> appPorts() {
        return appPorts;
    }

    /** The static discovery file, if any; without one, names are connected to as written (via DNS). */
    public Optional<Path> discoveryFile() {
        return Optional.ofNullable(discoveryFile);
    }

    /** The controller's destination service, the other discovery backend (exclusive with the file). */
    public Optional<Authority> destination() {
        return Optional.ofNullable(destination);
    }

    /**
     * The service this proxy's application registers as with the controller's local registry,
     * {@code <service>.<namespace>:<app port>}; empty when it does not register.
     */
    public Optional<Authority> register() {
        return Optional.ofNullable(register);
    }

    /** True when the workload registers as a client: known to the controller (scraped, tapped), no endpoint. */
    public boolean registerClient() {
        return registerClient;
    }

    /** The address the registered endpoint is reached at (default 127.0.0.1). */
    public String registerAddress() {
        return registerAddress;
    }

    public String serviceAccount() {
        return serviceAccount;
    }

    /** The workload's name (its pod label), default the host name. */
    public String workloadName() {
        return workloadName;
    }

    /** The deployment its registration is grouped in ({@code stat deploy}); default the registered service's name. */
    public Optional<String> deployment() {
        return Optional.ofNullable(deployment);
    }

    /** The proxy's own namespace, for expanding short service names. Default {@code default}. */
    public String namespace() {
        return namespace;
    }

    public String clusterDomain() {
        return clusterDomain;
    }

    /**
     * Ports on which protocol detection is skipped and bytes are forwarded as they are: the original
     * destination's port of a redirected connection, else (inbound) the first application port.
     */
    public Set<Integer> opaquePorts() {
        return opaquePorts;
    }

    /**
     * Where opaque outbound TCP goes (resolved through discovery), if configured: an explicit override
     * that wins over a redirected connection's original destination. Without it, opaque TCP goes to the
     * original destination, and a connection that was not redirected is closed.
     */
    public Optional<Authority> outboundTcpTarget() {
        return Optional.ofNullable(outboundTcpTarget);
    }

    /** How long detection waits for the first bytes before treating the connection as opaque. Default 10 s. */
    public Duration detectTimeout() {
        return detectTimeout;
    }

    /** Timeout for establishing an upstream connection. Default 1 s. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Time an upstream may take to start its response, if limited (504 after it). Default: unlimited. */
    public Optional<Duration> requestTimeout() {
        return Optional.ofNullable(requestTimeout);
    }

    /**
     * The default limit on waiting for a response: from the end of a request (not gRPC, whose clients
     * set deadlines, and whose streaming responses may start late) to the first byte of its response,
     * when neither {@link #requestTimeout} nor the route's timeout applies. Zero: none. Default 60 s,
     * as nginx's {@code proxy_read_timeout}: a backend that accepts and never answers must not hold the
     * client, and the proxy's state, for ever.
     */
    public Duration responseHeadTimeout() {
        return responseHeadTimeout;
    }

    /** How long an opaque connection may carry nothing either way before it is closed; zero: no limit. Default 1 h. */
    public Duration tcpIdleTimeout() {
        return tcpIdleTimeout;
    }

    /** The most client connections both listeners hold together (by default one per 16 KiB of maximum heap). */
    public int maxConnections() {
        return maxConnections;
    }

    /** Time a client may take to send a whole HTTP/1 request head (408 after it). Default 10 s. */
    public Duration headerReadTimeout() {
        return headerReadTimeout;
    }

    /** How long an HTTP/1 client connection may sit idle between requests before it is closed. Default 60 s. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Largest request or response head accepted, in bytes (431 beyond it). Default 64 KiB. */
    public int maxHeaderBytes() {
        return maxHeaderBytes;
    }

    /** How long a shutdown waits for in-flight requests before closing connections. Default 30 s. */
    public Duration shutdownGracePeriod() {
        return shutdownGracePeriod;
    }

    /**
     * Number of event loop threads; 0 means one per available processor. Default 1: a sidecar shares
     * its pod's CPU with the application, and Linkerd's proxy likewise runs one worker unless given more
     * cores; on a 2-core machine one loop also measured better than two (bench/proxy.sh).
     */
    public int eventLoops() {
        return eventLoops;
    }

    /**
     * The controller's identity service, host:port. When set, the proxy gets a certificate for its
     * workload identity ({@link #serviceAccount()} in {@link #namespace()} of {@link #trustDomain()})
     * before it reports ready, talks mTLS to meshed endpoints, and accepts mTLS on its inbound port.
     */
    public Optional<Authority> identity() {
        return Optional.ofNullable(identity);
    }

    /** The token that proves the workload's identity to the identity service; re-read at each renewal. */
    public Optional<Path> identityTokenFile() {
        return Optional.ofNullable(identityTokenFile);
    }

    /** PEM file of the trust anchors that peers' certificates must chain to. */
    public Optional<Path> trustAnchors() {
        return Optional.ofNullable(trustAnchors);
    }

    /**
     * The trust anchors as PEM text, instead of a file: what an injected sidecar gets in its environment
     * (a pod cannot mount the control plane's ConfigMap from another namespace), as Linkerd's does.
     */
    public Optional<String> trustAnchorsPem() {
        return Optional.ofNullable(trustAnchorsPem);
    }

    /**
     * The identity the controller presents: when set, the destination and identity channels are TLS
     * 1.3, checked against {@link #trustAnchors()} and this identity, so tokens never cross in clear and
     * endpoints' identities come from the real controller. Null: plaintext (a controller on loopback).
     */
    public Optional<String> controllerIdentity() {
        return Optional.ofNullable(controllerIdentity);
    }

    /** The trust domain of identities (default {@code cluster.local}). */
    public String trustDomain() {
        return trustDomain;
    }

    /** Application ports that accept only mTLS connections from meshed peers; plaintext is refused. */
    public Set<Integer> requireIdentityPorts() {
        return requireIdentityPorts;
    }

    /** One line per setting, {@code name = value}, in a stable order: what the proxy logs at start. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        line(b, "outbound-listen", format(outboundListen));
        line(b, "inbound-listen", format(inboundListen));
        line(b, "admin-listen", format(adminListen));
        line(b, "tap-listen", format(tapListen));
        line(b, "log-level", logLevel);
        line(b, "app-ports", appPorts.isEmpty() ? "(none)" : join(appPorts));
        line(b, "discovery-file", discoveryFile == null ? "(none)" : discoveryFile.toString());
        line(b, "destination", destination == null
                ? (discoveryFile == null ? "(none: names are dialed as written)" : "(none)") : destination.toString());
        line(b, "register", register != null ? register + " at " + registerAddress + " as " + workloadName
                + " (service account " + serviceAccount + ")" : registerClient ? "a client (no endpoint) at " + registerAddress
                + " as " + workloadName + " (service account " + serviceAccount + ")" : "(none)");
        line(b, "namespace", namespace);
        line(b, "cluster-domain", clusterDomain);
        line(b, "opaque-ports", join(new ArrayList<>(opaquePorts)));
        line(b, "identity", identity == null ? "(none: no mTLS)" : identity + " as " + serviceAccount + "."
                + namespace + " in " + trustDomain + ", token " + identityTokenFile + ", trust anchors " + (trustAnchors != null ? trustAnchors : "(PEM from trust-anchors-pem)"));
        line(b, "controller-identity", controllerIdentity == null ? "(none: plaintext to the controller)" : controllerIdentity);
        line(b, "require-identity-ports", requireIdentityPorts.isEmpty() ? "(none)" : join(new ArrayList<>(requireIdentityPorts)));
        line(b, "outbound-tcp-target", outboundTcpTarget == null ? "(none)" : outboundTcpTarget.toString());
        line(b, "detect-timeout", Durations.format(detectTimeout));
        line(b, "connect-timeout", Durations.format(connectTimeout));
        line(b, "request-timeout", requestTimeout == null ? "(none)" : Durations.format(requestTimeout));
        line(b, "response-head-timeout", responseHeadTimeout.isZero() ? "(none)" : Durations.format(responseHeadTimeout));
        line(b, "tcp-idle-timeout", tcpIdleTimeout.isZero() ? "(none)" : Durations.format(tcpIdleTimeout));
        line(b, "max-connections", Integer.toString(maxConnections));
        line(b, "header-read-timeout", Durations.format(headerReadTimeout));
        line(b, "idle-timeout", Durations.format(idleTimeout));
        line(b, "max-header-bytes", Integer.toString(maxHeaderBytes));
        line(b, "shutdown-grace-period", Durations.format(shutdownGracePeriod));
        line(b, "event-loops", eventLoops == 0 ? "0 (one per processor)" : Integer.toString(eventLoops));
        return b.toString();
    }

    @Override
    public String toString() {
        return "ProxyConfig{\n" + describe() + "}";
    }

    private static void line(StringBuilder b, String name, String value) {
        b.append("  ").append(name).append(" = ").append(value).append('\n');
    }

    private static String format(InetSocketAddress a) {
        // Not via Authority: a listener may use port 0 (any free port), which no authority has.
        String host = a.getAddress() instanceof java.net.Inet6Address
                ? "[" + a.getAddress().getHostAddress() + "]" : a.getAddress().getHostAddress();
        return host + ":" + a.getPort();
    }

    private static String join(List<Integer> ports) {
        StringBuilder b = new StringBuilder();
        for (int p : ports) {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(p);
        }
        return b.toString();
    }
}
