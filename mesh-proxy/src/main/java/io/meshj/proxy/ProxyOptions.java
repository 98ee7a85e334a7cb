package io.meshj.proxy;

import static java.util.Objects.requireNonNull;

import io.meshj.core.ConfigException;
import io.meshj.core.name.Authority;
import io.meshj.core.name.InvalidAuthorityException;
import io.meshj.core.time.Durations;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The proxy's command-line flags and their {@code MESHJ_PROXY_*} environment variables, from one table,
 * so {@code meshj proxy}, the standalone main and the injected container agree on names and help.
 * Flags win over the environment; both win over the defaults in {@link ProxyConfig}.
 *
 * <p>Every rejection is a {@link ConfigException} naming the flag or variable and the value, e.g.
 * {@code --opaque-ports: "x" is not a port}.
 */
public final class ProxyOptions {

    private record Option(String flag, String description, BiConsumer<ProxyConfigBuilder, String> apply) {
        String env() {
            return "MESHJ_PROXY_" + flag.toUpperCase(Locale.ROOT).replace('-', '_');
        }
    }

    private static final Map<String, Option> OPTIONS = new LinkedHashMap<>();

    static {
        add("outbound-listen", "address of the outbound listener (default 127.0.0.1:4140)",
                (b, v) -> b.outboundListen(socketAddress(v)));
        add("inbound-listen", "address of the inbound listener (default 0.0.0.0:4143)",
                (b, v) -> b.inboundListen(socketAddress(v)));
        add("admin-listen", "address of the admin server (default 0.0.0.0:4191)",
                (b, v) -> b.adminListen(socketAddress(v)));
        add("log-level", "error, warn, info, debug or trace (default info)", ProxyConfigBuilder::logLevel);
        add("tap-listen", "address of the tap server, for the controller only (default 0.0.0.0:4190)",
                (b, v) -> b.tapListen(socketAddress(v)));
        add("app-ports", "the application's ports on 127.0.0.1 for inbound traffic, e.g. 8080,9090 (none: redirected"
                + " connections go to their original port)",
                (b, v) -> b.appPorts(new ArrayList<>(ports(v))));
        add("discovery-file", "static discovery file (YAML services -> endpoints), re-read when it changes",
                (b, v) -> b.discoveryFile(Path.of(v)));
        add("destination", "the controller's destination service, host:port (instead of a discovery file)",
                (b, v) -> b.destination(authority(v)));
        add("register", "register the application with the controller as <service>.<namespace>:<app port>",
                (b, v) -> b.register(authority(v)));
        add("register-client", "true: register the workload with the controller as a client (no endpoint), so that"
                + " stat, edges and tap know a workload that serves nothing (default false)",
                (b, v) -> b.registerClient(bool(v)));
        add("register-address", "the address the registered application is reached at (default 127.0.0.1)",
                ProxyConfigBuilder::registerAddress);
        add("service-account", "the workload's service account, for its registration (default default)",
                ProxyConfigBuilder::serviceAccount);
        add("workload-name", "the workload's name, for its registration (default the host name)",
                ProxyConfigBuilder::workloadName);
        add("deployment", "the deployment its registration is grouped in by stat (default the registered service; a client: its name)",
                ProxyConfigBuilder::deployment);
        add("namespace", "the proxy's namespace, for short service names (default default)",
                ProxyConfigBuilder::namespace);
        add("cluster-domain", "the cluster's DNS domain (default cluster.local)",
                ProxyConfigBuilder::clusterDomain);
        add("identity", "the controller's identity service, host:port; enables mTLS (needs the next two)",
                (b, v) -> b.identity(authority(v)));
        add("identity-token-file", "file holding the token that proves the workload's identity (meshj identity token)",
                (b, v) -> b.identityTokenFile(Path.of(v)));
        add("trust-anchors", "PEM file of the mesh's trust anchors",
                (b, v) -> b.trustAnchors(Path.of(v)));
        add("trust-anchors-pem", "the mesh's trust anchors as PEM text (instead of trust-anchors; for injected sidecars)",
                ProxyConfigBuilder::trustAnchorsPem);
        add("controller-identity", "the identity the controller presents; TLS to the controller (needs trust-anchors),"
                + " e.g. controller.meshj.serviceaccount.identity.meshj.cluster.local", ProxyConfigBuilder::controllerIdentity);
        add("trust-domain", "the trust domain of identities (default cluster.local)",
                ProxyConfigBuilder::trustDomain);
        add("require-identity-ports", "application ports that refuse plaintext (non-mTLS) inbound connections",
                (b, v) -> b.requireIdentityPorts(ports(v)));
        add("opaque-ports", "ports forwarded without protocol detection (default 25,587,3306,4444,5432,6379,9300,11211)",
                (b, v) -> b.opaquePorts(ports(v)));
        add("outbound-tcp-target", "service that opaque outbound TCP goes to, host:port (overrides the original"
                + " destination of redirected connections)",
                (b, v) -> b.outboundTcpTarget(authority(v)));
        add("detect-timeout", "time to wait for a protocol to show (default 10s)",
                (b, v) -> b.detectTimeout(duration(v)));
        add("connect-timeout", "upstream connect timeout (default 1s)",
                (b, v) -> b.connectTimeout(duration(v)));
        add("request-timeout", "time to response headers before 504; 0 for none (default none)",
                (b, v) -> {
                    Duration d = duration(v);
                    b.requestTimeout(d.isZero() ? null : d);
                });
        add("response-head-timeout", "time a sent request (not gRPC) waits for its response to start when no"
                + " request or route timeout applies, before 504; 0 for none (default 60s)",
                (b, v) -> b.responseHeadTimeout(duration(v)));
        add("tcp-idle-timeout", "time an opaque TCP connection may carry no bytes either way before both sides are"
                + " closed; 0 for none (default 1h; connections that were silent through detection get --idle-timeout)",
                (b, v) -> b.tcpIdleTimeout(duration(v)));
        add("max-connections", "most client connections held at once, more are refused; 0 for one per 16 KiB"
                + " of maximum heap (default 0: 4096 with the sidecar's 64 MB)",
                (b, v) -> b.maxConnections(integer(v)));
        add("header-read-timeout", "time a client may take to send a request head (default 10s)",
                (b, v) -> b.headerReadTimeout(duration(v)));
        add("idle-timeout", "time a client connection may idle: HTTP/1 between requests, HTTP/2 without streams (default 60s)",
                (b, v) -> b.idleTimeout(duration(v)));
        add("max-header-bytes", "largest accepted request/response head (default 65536)",
                (b, v) -> b.maxHeaderBytes(integer(v)));
        add("shutdown-grace-period", "time to finish in-flight requests on shutdown (default 30s)",
                (b, v) -> b.shutdownGracePeriod(duration(v)));
        add("event-loops", "event loop threads; 0 = one per processor (default 1)",
                (b, v) -> b.eventLoops(integer(v)));
    }

    private ProxyOptions() {
    }

    private static void add(String flag, String description, BiConsumer<ProxyConfigBuilder, String> apply) {
        OPTIONS.put(flag, new Option(flag, description, apply));
    }

    /** True when the arguments ask for help ({@code -h} or {@code --help}). */
    public static boolean isHelp(List<String> args) {
        return args.contains("-h") || args.contains("--help");
    }

    /**
     * Builds the configuration from {@code env} (only {@code MESHJ_PROXY_*} entries are read) and then
     * {@code args} ({@code --name value} or {@code --name=value}).
     *
     * @throws ConfigException naming the flag or variable of the first invalid value, or an unknown flag
     */
    public static ProxyConfig parse(List<String> args, Map<String, String> env) {
        requireNonNull(args, "args");
        requireNonNull(env, "env");
        ProxyConfigBuilder b = ProxyConfig.builder();
        for (Option o : OPTIONS.values()) {
            String value = env.get(o.env());
            if (value != null && !value.isBlank()) {
                apply(b, o, o.env(), value.strip());
            }
        }
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw new ConfigException(arg, 0, "", "unexpected argument (options look like --name value; see --help)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Option o = OPTIONS.get(name);
            if (o == null) {
                throw new ConfigException("--" + name, 0, "", "unknown option (see --help)");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new ConfigException("--" + name, 0, "", "missing value");
                }
                value = args.get(++i);
            }
            apply(b, o, "--" + name, value);
        }
        return b.build();
    }

    /** A help text listing every option with its environment variable. */
    public static String help() {
        StringBuilder b = new StringBuilder();
        for (Option o : OPTIONS.values()) {
            b.append(String.format(Locale.ROOT, "  --%-22s %s%n  %-24s (env %s)%n", o.flag(), o.description(), "", o.env()));
        }
        return b.toString();
    }

    private static void apply(ProxyConfigBuilder b, Option o, String source, String value) {
        try {
            o.apply().accept(b, value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source, 0, "", "\"" + value + "\": " + e.getMessage(), e);
        }
    }

    private static InetSocketAddress socketAddress(String v) {
        // Port 0 (any free port) is fine for a listener although no authority may have it.
        boolean anyPort = v.endsWith(":0");
        Authority a = authority(anyPort ? v.substring(0, v.length() - 2) + ":1" : v);
        if (!a.isIpAddress()) {
            throw new IllegalArgumentException("listen addresses must be IP literals, e.g. 0.0.0.0:4143");
        }
        return new InetSocketAddress(a.toInetAddress(), anyPort ? 0 : a.port());
    }

    private static Authority authority(String v) {
        Authority a;
        try {
            a = Authority.parse(v);
        } catch (InvalidAuthorityException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (!a.hasPort()) {
            throw new IllegalArgumentException("a port is required, e.g. 127.0.0.1:4140");
        }
        return a;
    }

    private static Set<Integer> ports(String v) {
        Set<Integer> ports = new LinkedHashSet<>();
        if (v.isBlank()) {
            return ports;
        }
        for (String part : v.split(",")) {
            String p = part.strip();
            int port;
            try {
                port = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + p + "\" is not a port");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is out of range 1-65535");
            }
            ports.add(port);
        }
        return ports;
    }

    private static Duration duration(String v) {
        return Durations.parse(v);
    }

    private static boolean bool(String v) {
        return switch (v.strip()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("expected true or false");
        };
    }

    private static int integer(String v) {
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an integer");
        }
    }
}
