package io.meshj.controller.inject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The containers and volumes injection adds to one pod, as Kubernetes objects (ordered maps), honouring
 * the pod's {@code config.meshj.io/*} annotations. The proxy reads its settings from
 * {@code MESHJ_PROXY_*} variables (the same table as its flags); the init container runs
 * {@code meshj proxy-init}, which installs Linkerd's iptables redirects.
 */
final class Sidecar {

    private static final String CONFIG = "config.meshj.io/";

    private final InjectOptions options;
    private final Map<String, String> annotations;
    private final List<Integer> appPorts;

    Sidecar(InjectOptions options, Map<String, String> annotations, List<Integer> appPorts) {
        this.options = options;
        this.annotations = annotations;
        this.appPorts = appPorts;
    }

    private String image() {
        return options.image() + ":" + options.version();
    }

    Map<String, Object> initContainer() {
        List<Object> args = new ArrayList<>(List.of("proxy-init",
                "--incoming-proxy-port", Integer.toString(Injector.INBOUND_PORT),
                "--outgoing-proxy-port", Integer.toString(Injector.OUTBOUND_PORT),
                "--proxy-uid", Integer.toString(Injector.PROXY_UID)));
        // Ranges pass through as written (proxy-init hands them to iptables as ranges): expanding
        // 1024-65535 would make thousands of rules.
        Set<String> inboundSkipped = new LinkedHashSet<>(List.of(Integer.toString(Injector.TAP_PORT),
                Integer.toString(Injector.ADMIN_PORT)));
        inboundSkipped.addAll(listParts(annotations.get(CONFIG + "skip-inbound-ports")));
        args.add("--inbound-ports-to-ignore");
        args.add(String.join(",", inboundSkipped));
        Set<String> outboundSkipped = listParts(annotations.get(CONFIG + "skip-outbound-ports"));
        if (!outboundSkipped.isEmpty()) {
            args.add("--outbound-ports-to-ignore");
            args.add(String.join(",", outboundSkipped));
        }
        // Traffic to these networks (the node's, a database outside the cluster) leaves as it is.
        Set<String> subnets = listParts(annotations.get(CONFIG + "skip-subnets"));
        if (!subnets.isEmpty()) {
            args.add("--subnets-to-ignore");
            args.add(String.join(",", subnets));
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", Injector.INIT_CONTAINER);
        c.put("image", image());
        c.put("imagePullPolicy", "IfNotPresent");
        c.put("args", args);
        c.put("resources", map("limits", map("cpu", "100m", "memory", "64Mi"), "requests", map("cpu", "10m", "memory", "16Mi")));
        // Root with NET_ADMIN/NET_RAW for iptables, and nothing else.
        c.put("securityContext", map("allowPrivilegeEscalation", false,
                "capabilities", map("add", new ArrayList<>(List.of("NET_ADMIN", "NET_RAW")), "drop", new ArrayList<>(List.of("ALL"))),
                "privileged", false, "readOnlyRootFilesystem", true, "runAsNonRoot", false, "runAsUser", 0));
        c.put("terminationMessagePolicy", "FallbackToLogsOnError");
        // iptables-legacy takes its lock at /run/xtables.lock, which a read-only root cannot hold.
        c.put("volumeMounts", new ArrayList<>(List.of(map("mountPath", "/run", "name", Injector.XTABLES_LOCK_VOLUME))));
        return c;
    }

    Map<String, Object> proxyContainer(boolean nativeSidecar) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", Injector.PROXY_CONTAINER);
        c.put("image", image());
        c.put("imagePullPolicy", "IfNotPresent");
        c.put("args", new ArrayList<>(List.of("proxy")));
        c.put("env", env());
        c.put("ports", new ArrayList<>(List.of(
                map("containerPort", Injector.INBOUND_PORT, "name", "meshj-proxy"),
                map("containerPort", Injector.ADMIN_PORT, "name", "meshj-admin"),
                map("containerPort", Injector.TAP_PORT, "name", "meshj-tap"))));
        c.put("livenessProbe", map("httpGet", map("path", "/live", "port", Injector.ADMIN_PORT), "initialDelaySeconds", 10));
        c.put("readinessProbe", map("httpGet", map("path", "/ready", "port", Injector.ADMIN_PORT), "initialDelaySeconds", 2));
        Map<String, Object> resources = resources();
        if (!resources.isEmpty()) {
            c.put("resources", resources);
        }
        if (nativeSidecar) {
            // Kubernetes starts the next init container (and then the application) once this one is started.
            c.put("restartPolicy", "Always");
            c.put("startupProbe", map("httpGet", map("path", "/ready", "port", Injector.ADMIN_PORT),
                    "periodSeconds", 1, "failureThreshold", 120));
        } else if (!"disabled".equals(annotations.get(CONFIG + "proxy-await"))) {
            // The kubelet starts the next container only after this hook returns: the application
            // never runs before its proxy can carry its traffic.
            c.put("lifecycle", map("postStart", map("exec", map("command",
                    new ArrayList<>(List.of(Injector.MESHJ, "proxy-await", "--timeout", "2m"))))));
        }
        c.put("securityContext", map("allowPrivilegeEscalation", false,
                "capabilities", map("drop", new ArrayList<>(List.of("ALL"))),
                "readOnlyRootFilesystem", true, "runAsNonRoot", true, "runAsUser", Injector.PROXY_UID));
        c.put("terminationMessagePolicy", "FallbackToLogsOnError");
        c.put("volumeMounts", new ArrayList<>(List.of(
                map("mountPath", Injector.END_ENTITY_DIR, "name", Injector.END_ENTITY_VOLUME),
                map("mountPath", Injector.TOKEN_DIR, "name", Injector.TOKEN_VOLUME),
                map("mountPath", Injector.TMP_DIR, "name", Injector.TMP_VOLUME))));
        return c;
    }

    private List<Object> env() {
        List<Object> env = new ArrayList<>();
        env.add(value("MESHJ_PROXY_INBOUND_LISTEN", "0.0.0.0:" + Injector.INBOUND_PORT));
        env.add(value("MESHJ_PROXY_OUTBOUND_LISTEN", "127.0.0.1:" + Injector.OUTBOUND_PORT));
        env.add(value("MESHJ_PROXY_ADMIN_LISTEN", "0.0.0.0:" + Injector.ADMIN_PORT));
        env.add(value("MESHJ_PROXY_TAP_LISTEN", "0.0.0.0:" + Injector.TAP_PORT));
        if (!appPorts.isEmpty()) {
            env.add(value("MESHJ_PROXY_APP_PORTS", join(appPorts)));
        }
        String opaque = annotations.get(CONFIG + "opaque-ports");
        if (opaque != null) {
            env.add(value("MESHJ_PROXY_OPAQUE_PORTS", opaque));
        }
        String level = annotations.get(CONFIG + "proxy-log-level");
        if (level != null) {
            env.add(value("MESHJ_PROXY_LOG_LEVEL", level));
        }
        env.add(value("MESHJ_PROXY_DESTINATION", options.destination()));
        env.add(value("MESHJ_PROXY_IDENTITY", options.identity()));
        env.add(value("MESHJ_PROXY_IDENTITY_TOKEN_FILE", Injector.TOKEN_DIR + "/" + Injector.TOKEN_VOLUME));
        env.add(value("MESHJ_PROXY_TRUST_ANCHORS_PEM", options.trustAnchorsPem().strip() + "\n"));
        env.add(value("MESHJ_PROXY_CONTROLLER_IDENTITY", options.controllerIdentity()));
        env.add(value("MESHJ_PROXY_CLUSTER_DOMAIN", options.clusterDomain()));
        env.add(field("MESHJ_PROXY_NAMESPACE", "metadata.namespace"));
        env.add(field("MESHJ_PROXY_WORKLOAD_NAME", "metadata.name"));
        env.add(field("MESHJ_PROXY_SERVICE_ACCOUNT", "spec.serviceAccountName"));
        return env;
    }

    private Map<String, Object> resources() {
        Map<String, Object> requests = new LinkedHashMap<>();
        Map<String, Object> limits = new LinkedHashMap<>();
        putIf(requests, "cpu", annotations.get(CONFIG + "proxy-cpu-request"));
        putIf(requests, "memory", annotations.get(CONFIG + "proxy-memory-request"));
        putIf(limits, "cpu", annotations.get(CONFIG + "proxy-cpu-limit"));
        putIf(limits, "memory", annotations.get(CONFIG + "proxy-memory-limit"));
        Map<String, Object> r = new LinkedHashMap<>();
        if (!limits.isEmpty()) {
            r.put("limits", limits);
        }
        if (!requests.isEmpty()) {
            r.put("requests", requests);
        }
        return r;
    }

    Map<String, Object> endEntityVolume() {
        return map("emptyDir", map("medium", "Memory"), "name", Injector.END_ENTITY_VOLUME);
    }

    /** Where the init container's iptables keeps its lock (/run). */
    Map<String, Object> xtablesLockVolume() {
        return map("emptyDir", map(), "name", Injector.XTABLES_LOCK_VOLUME);
    }

    /**
     * The proxy's /tmp. Its root filesystem is read-only, and the JVM unpacks native libraries (Netty's
     * epoll transport, JNA's libc binding) to java.io.tmpdir at start: without a writable /tmp the proxy
     * would fall back to NIO, which cannot read connections' original destinations, and interception
     * would stop working. Memory-backed and capped: it holds two small libraries.
     */
    Map<String, Object> tmpVolume() {
        return map("emptyDir", map("medium", "Memory", "sizeLimit", "16Mi"), "name", Injector.TMP_VOLUME);
    }

    Map<String, Object> tokenVolume() {
        return map("name", Injector.TOKEN_VOLUME, "projected", map("sources", new ArrayList<>(List.of(
                map("serviceAccountToken", map("audience", "identity.meshj.io", "expirationSeconds", 86400,
                        "path", Injector.TOKEN_VOLUME))))));
    }

    /** The parts of a list annotation, as written ("25", "4000-4002", "10.0.0.0/8"); empty parts left out. */
    static Set<String> listParts(String list) {
        Set<String> out = new LinkedHashSet<>();
        if (list != null) {
            for (String part : list.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.strip());
                }
            }
        }
        return out;
    }

    /** Ports from an annotation ("25,3306" or "4000-4002"); malformed parts are left out. */
    static Set<Integer> ports(String list) {
        Set<Integer> out = new LinkedHashSet<>();
        if (list == null) {
            return out;
        }
        for (String part : list.split(",")) {
            String p = part.strip();
            try {
                int dash = p.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).strip());
                int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).strip());
                for (int i = from; i <= to && i <= 65535 && to - from < 65536; i++) {
                    if (i > 0) {
                        out.add(i);
                    }
                }
            } catch (NumberFormatException e) {
                // not a port: the proxy-init and proxy would refuse it; leave it out
            }
        }
        return out;
    }

    private static String join(Iterable<Integer> ports) {
        StringBuilder b = new StringBuilder();
        for (int p : ports) {
            b.append(b.length() == 0 ? "" : ",").append(p);
        }
        return b.toString();
    }

    private static void putIf(Map<String, Object> m, String key, String value) {
        if (value != null && !value.isBlank()) {
            m.put(key, value);
        }
    }

    private static Map<String, Object> value(String name, String value) {
        return map("name", name, "value", value);
    }

    private static Map<String, Object> field(String name, String path) {
        return map("name", name, "valueFrom", map("fieldRef", map("fieldPath", path)));
    }

    /** An ordered map of key, value, key, value... */
    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
