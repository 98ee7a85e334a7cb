package io.meshj.controller.inject;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Adds the meshj sidecar to the pod templates of Kubernetes workloads, and takes it out again — what
 * Linkerd's {@code inject}/{@code uninject} do, over the same kinds: Pod, Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, and {@code List}s of them.
 *
 * <p>A full injection adds, and only adds: the {@code meshj-init} init container (iptables redirects of
 * the pod's traffic through the proxy), the {@code meshj-proxy} container (first, so the application
 * starts after it is ready; or a native sidecar), its four volumes (the identity's memory-backed
 * directory, the projected service-account token for the identity service, the proxy's /tmp and the
 * init container's /run for the iptables lock), and meshj's labels and
 * annotations. Everything else stays as it was, so {@link #uninject} gives back the original. Without
 * {@code manual}, only the {@code meshj.io/inject: enabled} annotation is added and the controller's
 * admission webhook injects each pod as it is created.
 *
 * <p>Works in place on the maps and lists of a parsed manifest ({@link Manifests}).
 */
public final class Injector {

    public static final String INJECT_ANNOTATION = "meshj.io/inject";
    public static final String PROXY_CONTAINER = "meshj-proxy";
    public static final String INIT_CONTAINER = "meshj-init";
    static final String END_ENTITY_VOLUME = "meshj-identity-end-entity";
    static final String TOKEN_VOLUME = "meshj-identity-token";
    static final String TMP_VOLUME = "meshj-proxy-tmp";
    static final String TMP_DIR = "/tmp";
    static final String XTABLES_LOCK_VOLUME = "meshj-xtables-lock";
    static final String TOKEN_DIR = "/var/run/secrets/tokens";
    static final String END_ENTITY_DIR = "/var/run/meshj/identity/end-entity";
    static final String MESHJ = "/opt/meshj/bin/meshj";
    public static final String PROXY_VERSION_ANNOTATION = "meshj.io/proxy-version";
    private static final List<String> ADDED_ANNOTATIONS = List.of("meshj.io/created-by", PROXY_VERSION_ANNOTATION,
            "meshj.io/identity-mode", "meshj.io/trust-root-sha256");
    private static final String CONTROL_PLANE_NS_LABEL = "meshj.io/control-plane-ns";
    private static final String WORKLOAD_NS_LABEL = "meshj.io/workload-ns";
    private static final String PROXY_KIND_LABEL_PREFIX = "meshj.io/proxy-";
    private static final String CONFIG = "config.meshj.io/";
    static final int INBOUND_PORT = 4143;
    static final int OUTBOUND_PORT = 4140;
    static final int ADMIN_PORT = 4191;
    static final int TAP_PORT = 4190;
    static final int PROXY_UID = 2102;

    /** What happened to one resource; {@link #line()} is the report line. */
    public record Outcome(String kind, String name, String result) {
        public String line() {
            return kind.toLowerCase(Locale.ROOT) + " \"" + name + "\" " + result;
        }

        public boolean changed() {
            return result.equals("injected") || result.equals("uninjected");
        }
    }

    private final InjectOptions options;

    public Injector(InjectOptions options) {
        this.options = requireNonNull(options, "options");
    }

    /** Injects every workload in {@code document} (fully if {@code manual}); returns one outcome per resource. */
    public List<Outcome> inject(Object document, boolean manual) {
        List<Outcome> out = new ArrayList<>();
        visit(document, (resource, template) -> out.add(injectOne(resource, template, manual)), out);
        return out;
    }

    /** Takes out what {@link #inject} added, from every workload in {@code document}. */
    public List<Outcome> uninject(Object document) {
        List<Outcome> out = new ArrayList<>();
        visit(document, (resource, template) -> out.add(uninjectOne(resource, template)), out);
        return out;
    }

    private interface Visitor {
        void workload(Map<String, Object> resource, Map<String, Object> template);
    }

    /** Calls {@code v} for each workload (with its pod template); reports other resources as skipped. */
    private static void visit(Object document, Visitor v, List<Outcome> out) {
        if (!(document instanceof Map<?, ?>)) {
            return;
        }
        Map<String, Object> resource = map(document);
        String kind = String.valueOf(resource.getOrDefault("kind", ""));
        if (kind.equals("List") && resource.get("items") instanceof List<?> items) {
            for (Object item : items) {
                visit(item, v, out);
            }
            return;
        }
        Map<String, Object> template = template(resource, kind);
        if (template == null) {
            out.add(new Outcome(kind.isEmpty() ? "resource" : kind, name(resource), "skipped"));
            return;
        }
        v.workload(resource, template);
    }

    /** The pod template of a workload ({@code metadata} + {@code spec} of its pods), or null. */
    static Map<String, Object> template(Map<String, Object> resource, String kind) {
        return switch (kind) {
            case "Pod" -> resource.get("spec") instanceof Map<?, ?> ? resource : null;
            case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job" ->
                    child(child(resource, "spec"), "template");
            case "CronJob" -> child(child(child(child(resource, "spec"), "jobTemplate"), "spec"), "template");
            default -> null;
        };
    }

    private Outcome injectOne(Map<String, Object> resource, Map<String, Object> template, boolean manual) {
        String kind = String.valueOf(resource.get("kind"));
        Object namespace = map(resource.getOrDefault("metadata", Map.of())).get("namespace");
        return injectTemplate(template, kind, name(resource), namespace == null ? null : String.valueOf(namespace),
                annotations(resource, template), manual);
    }

    /**
     * Injects a pod being created (the admission webhook's case): {@code ownerKind}/{@code ownerName} is
     * the workload it belongs to (Pod and its own name for a bare pod), {@code namespaceAnnotations} the
     * config annotations of its namespace (the pod's own win). The pod is injected fully, as
     * {@code inject --manual} injects its workload's template.
     */
    public Outcome injectPod(Map<String, Object> pod, String namespace, String ownerKind, String ownerName,
            Map<String, String> namespaceAnnotations) {
        Map<String, String> annotations = new LinkedHashMap<>(namespaceAnnotations);
        annotations.remove(INJECT_ANNOTATION); // the namespace's opt-in is the webhook's business, not an opt-out
        annotations.putAll(annotations(Map.of(), pod));
        return injectTemplate(pod, ownerKind, ownerName, namespace, annotations, true);
    }

    private Outcome injectTemplate(Map<String, Object> template, String kind, String name, String namespace,
            Map<String, String> annotations, boolean manual) {
        Map<String, Object> spec = child(template, "spec");
        if (spec == null) {
            return new Outcome(kind, name, "skipped: no pod spec");
        }
        if ("disabled".equals(annotations.get(INJECT_ANNOTATION))) {
            return new Outcome(kind, name, "skipped: injection disabled by annotation " + INJECT_ANNOTATION);
        }
        if (Boolean.TRUE.equals(spec.get("hostNetwork"))) {
            return new Outcome(kind, name, "skipped: uses host network");
        }
        if (hasContainer(spec, "containers", PROXY_CONTAINER) || hasContainer(spec, "initContainers", PROXY_CONTAINER)) {
            return new Outcome(kind, name, "skipped: already injected");
        }
        Map<String, Object> metadata = childOrNew(template, "metadata");
        if (!manual) {
            if ("enabled".equals(annotations.get(INJECT_ANNOTATION))) {
                return new Outcome(kind, name, "skipped: already annotated for injection");
            }
            childOrNew(metadata, "annotations").put(INJECT_ANNOTATION, "enabled");
            return new Outcome(kind, name, "injected");
        }
        Map<String, Object> labels = childOrNew(metadata, "labels");
        labels.put(CONTROL_PLANE_NS_LABEL, options.controlPlaneNamespace());
        if (!kind.equals("Pod")) {
            labels.put(PROXY_KIND_LABEL_PREFIX + kind.toLowerCase(Locale.ROOT), name);
        }
        if (namespace != null) {
            labels.put(WORKLOAD_NS_LABEL, namespace);
        }
        Map<String, Object> added = childOrNew(metadata, "annotations");
        added.put("meshj.io/created-by", "meshj/cli " + options.version());
        added.put(PROXY_VERSION_ANNOTATION, options.version());
        added.put("meshj.io/identity-mode", "default");
        added.put("meshj.io/trust-root-sha256", sha256(options.trustAnchorsPem()));

        Sidecar sidecar = new Sidecar(options, annotations, appPorts(spec, annotations));
        List<Object> volumes = listOrNew(spec, "volumes");
        volumes.add(sidecar.endEntityVolume());
        volumes.add(sidecar.tokenVolume());
        volumes.add(sidecar.tmpVolume());
        volumes.add(sidecar.xtablesLockVolume());
        List<Object> inits = listOrNew(spec, "initContainers");
        inits.add(0, sidecar.initContainer());
        if (options.nativeSidecar()) {
            inits.add(1, sidecar.proxyContainer(true));
        } else {
            listOrNew(spec, "containers").add(0, sidecar.proxyContainer(false));
        }
        return new Outcome(kind, name, "injected");
    }

    private Outcome uninjectOne(Map<String, Object> resource, Map<String, Object> template) {
        String kind = String.valueOf(resource.get("kind"));
        String name = name(resource);
        Map<String, Object> spec = child(template, "spec");
        Map<String, Object> metadata = child(template, "metadata");
        boolean full = spec != null && (hasContainer(spec, "containers", PROXY_CONTAINER)
                || hasContainer(spec, "initContainers", PROXY_CONTAINER));
        boolean changed = false;
        if (full) {
            changed |= removeNamed(spec, "containers", PROXY_CONTAINER);
            changed |= removeNamed(spec, "initContainers", PROXY_CONTAINER);
            changed |= removeNamed(spec, "initContainers", INIT_CONTAINER);
            changed |= removeNamed(spec, "volumes", END_ENTITY_VOLUME);
            changed |= removeNamed(spec, "volumes", TOKEN_VOLUME);
            changed |= removeNamed(spec, "volumes", TMP_VOLUME);
            changed |= removeNamed(spec, "volumes", XTABLES_LOCK_VOLUME);
            if (metadata != null) {
                Map<String, Object> labels = child(metadata, "labels");
                if (labels != null) {
                    labels.keySet().removeIf(k -> k.equals(CONTROL_PLANE_NS_LABEL) || k.equals(WORKLOAD_NS_LABEL)
                            || k.startsWith(PROXY_KIND_LABEL_PREFIX));
                    removeIfEmpty(metadata, "labels");
                }
                Map<String, Object> annotations = child(metadata, "annotations");
                if (annotations != null) {
                    annotations.keySet().removeAll(ADDED_ANNOTATIONS);
                    removeIfEmpty(metadata, "annotations");
                }
                removeIfEmpty(template, "metadata");
            }
        } else if (metadata != null && child(metadata, "annotations") != null
                && "enabled".equals(child(metadata, "annotations").get(INJECT_ANNOTATION))) {
            // Injected by annotation only: that annotation is what inject added.
            child(metadata, "annotations").remove(INJECT_ANNOTATION);
            removeIfEmpty(metadata, "annotations");
            removeIfEmpty(template, "metadata");
            changed = true;
        }
        return new Outcome(kind, name, changed ? "uninjected" : "skipped: not injected");
    }

    /**
     * The annotations injection reads: the pod template's only (as Linkerd's), since they are what the
     * pods — and so the webhook — see; a Deployment's own annotations never reach its pods.
     */
    private static Map<String, String> annotations(Map<String, Object> resource, Map<String, Object> template) {
        Map<String, String> out = new LinkedHashMap<>();
        Object a = map(template.getOrDefault("metadata", Map.of())).get("annotations");
        if (a instanceof Map<?, ?> am) {
            am.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        }
        return out;
    }

    /** The application's TCP ports (what the proxy forwards inbound traffic to), less the skipped ones. */
    private static List<Integer> appPorts(Map<String, Object> spec, Map<String, String> annotations) {
        java.util.Set<Integer> skipped = Sidecar.ports(annotations.get(CONFIG + "skip-inbound-ports"));
        TreeSet<Integer> ports = new TreeSet<>();
        if (spec.get("containers") instanceof List<?> containers) {
            for (Object c : containers) {
                if (c instanceof Map<?, ?> cm && cm.get("ports") instanceof List<?> ps) {
                    for (Object p : ps) {
                        if (p instanceof Map<?, ?> pm && pm.get("containerPort") instanceof Number n
                                && !"UDP".equals(pm.get("protocol")) && !"SCTP".equals(pm.get("protocol"))
                                && !skipped.contains(n.intValue())) {
                            ports.add(n.intValue());
                        }
                    }
                }
            }
        }
        return new ArrayList<>(ports);
    }

    private static String sha256(String pem) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(pem.strip().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean hasContainer(Map<String, Object> spec, String list, String name) {
        return spec.get(list) instanceof List<?> l && l.stream().anyMatch(c -> c instanceof Map<?, ?> m && name.equals(m.get("name")));
    }

    private static boolean removeNamed(Map<String, Object> spec, String list, String name) {
        if (!(spec.get(list) instanceof List<?> l)) {
            return false;
        }
        boolean removed = false;
        for (Iterator<?> it = l.iterator(); it.hasNext();) {
            if (it.next() instanceof Map<?, ?> m && name.equals(m.get("name"))) {
                it.remove();
                removed = true;
            }
        }
        if (l.isEmpty()) {
            spec.remove(list);
        }
        return removed;
    }

    private static void removeIfEmpty(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v instanceof Map<?, ?> vm && vm.isEmpty() || v instanceof List<?> vl && vl.isEmpty()) {
            m.remove(key);
        }
    }

    static String name(Map<String, Object> resource) {
        Map<String, Object> metadata = map(resource.getOrDefault("metadata", Map.of()));
        Object n = metadata.get("name");
        if (n == null) {
            n = metadata.get("generateName");
        }
        return n == null ? "" : String.valueOf(n);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> ? (Map<String, Object>) o : Map.of();
    }

    private static Map<String, Object> child(Map<String, Object> parent, String key) {
        return parent != null && parent.get(key) instanceof Map<?, ?> ? map(parent.get(key)) : null;
    }

    private static Map<String, Object> childOrNew(Map<String, Object> parent, String key) {
        Map<String, Object> c = child(parent, key);
        if (c == null) {
            c = new LinkedHashMap<>();
            parent.put(key, c);
        }
        return c;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> listOrNew(Map<String, Object> parent, String key) {
        if (parent.get(key) instanceof List<?> l) {
            return (List<Object>) l;
        }
        List<Object> l = new ArrayList<>();
        parent.put(key, l);
        return l;
    }
}
