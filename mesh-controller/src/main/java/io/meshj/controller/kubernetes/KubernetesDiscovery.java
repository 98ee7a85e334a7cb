package io.meshj.controller.kubernetes;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshj.controller.internal.Watchers;
import io.meshj.core.discovery.DiscoveryListener;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.Watch;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Endpoints from a Kubernetes cluster: fabric8 informers keep Services, EndpointSlices
 * ({@code discovery.k8s.io/v1}) and Pods in memory, and every event recomputes the endpoint sets of
 * the names it touches and sends each watcher the difference — so an informer event reaches
 * subscribed clients as soon as the API server delivers it.
 *
 * <p>A name is {@code <service>.<namespace>.svc.<cluster-domain>:<port>}, the port a Service port.
 * Its endpoints are the addresses of the service's EndpointSlices on the matching slice port (by the
 * Service port's name) whose endpoint is not {@code ready: false} — which also leaves out terminating
 * endpoints, as Kubernetes marks them not ready. Each carries its pod's labels (pod, owner kind and
 * name, service account); a pod with a meshj proxy ({@code meshj.io/inject: enabled}) is meshed:
 * HTTP/2 to its proxy's inbound port 4143, or opaque on ports listed in
 * {@code config.meshj.io/opaque-ports}. A Service with no endpoints is {@code NoEndpoints(exists)};
 * no Service is {@code NoEndpoints(false)}.
 *
 * <p>An {@code IP:port} name is looked up as transparent proxying sees it: a Service's cluster IP
 * resolves to that Service's endpoints on the port, a pod IP to the pod itself.
 */
public final class KubernetesDiscovery implements DiscoverySource {

    static final String INJECT_ANNOTATION = "meshj.io/inject";
    static final String OPAQUE_PORTS_ANNOTATION = "config.meshj.io/opaque-ports";
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    static final int PROXY_INBOUND_PORT = 4143;

    private final AuthorityNormalizer normalizer;
    private final String trustDomain;
    private final String svcSuffix;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private final Map<String, Service> services = new HashMap<>();
    /** Slices by "namespace/service", then by slice name. */
    private final Map<String, Map<String, EndpointSlice>> slices = new HashMap<>();
    private final Map<String, Pod> pods = new HashMap<>();
    private final Watchers watches = new Watchers(this);

    private KubernetesDiscovery(KubernetesClient client, AuthorityNormalizer normalizer, String trustDomain) {
        this.normalizer = normalizer;
        this.trustDomain = trustDomain;
        this.svcSuffix = ".svc." + normalizer.clusterDomain();
        SharedIndexInformer<Pod> podInformer = client.pods().inAnyNamespace().inform(handler(this::onPod), 0);
        informers.add(podInformer);
        SharedIndexInformer<Service> serviceInformer = client.services().inAnyNamespace().inform(handler(this::onService), 0);
        informers.add(serviceInformer);
        SharedIndexInformer<EndpointSlice> sliceInformer = client.discovery().v1().endpointSlices().inAnyNamespace()
                .inform(handler(this::onSlice), 0);
        informers.add(sliceInformer);
        // inform() returns once each informer has listed, but its handler hears of the listed objects
        // later, on another thread. Take them from the stores now, so that nothing is served from a
        // half-filled view: after a controller restart, an early "no endpoints" would empty every
        // proxy's endpoints. (The handlers' adds repeat these puts, which changes nothing.)
        synchronized (this) {
            podInformer.getStore().list().forEach(p -> pods.put(key(p.getMetadata().getNamespace(), p.getMetadata().getName()), p));
            serviceInformer.getStore().list().forEach(v -> services.put(key(v.getMetadata().getNamespace(), v.getMetadata().getName()), v));
            for (EndpointSlice slice : sliceInformer.getStore().list()) {
                String service = slice.getMetadata().getLabels() == null ? null
                        : slice.getMetadata().getLabels().get(SERVICE_NAME_LABEL);
                if (service != null) {
                    slices.computeIfAbsent(key(slice.getMetadata().getNamespace(), service), k -> new LinkedHashMap<>())
                            .put(slice.getMetadata().getName(), slice);
                }
            }
        }
    }

    /** Starts the informers on {@code client} (which the caller keeps and closes after this source). */
    public static KubernetesDiscovery start(KubernetesClient client, AuthorityNormalizer normalizer) {
        return start(client, normalizer, io.meshj.tls.WorkloadIdentity.DEFAULT_TRUST_DOMAIN);
    }

    /** As {@link #start(KubernetesClient, AuthorityNormalizer)}, with meshed pods' identities in {@code trustDomain}. */
    public static KubernetesDiscovery start(KubernetesClient client, AuthorityNormalizer normalizer, String trustDomain) {
        return new KubernetesDiscovery(requireNonNull(client, "client"), requireNonNull(normalizer, "normalizer"),
                requireNonNull(trustDomain, "trustDomain"));
    }

    @Override
    public synchronized Watch watch(Authority authority, DiscoveryListener listener) {
        Authority key = authority.isIpAddress() ? authority : normalizer.normalize(authority);
        return watches.add(key, listener, compute(key));
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
        synchronized (this) {
            watches.clear();
        }
    }

    // ---- events ----

    private static <T extends HasMetadata> ResourceEventHandler<T> handler(BiConsumer<T, Boolean> onChange) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                onChange.accept(obj, false);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                onChange.accept(newObj, false);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                onChange.accept(obj, true);
            }
        };
    }

    private synchronized void onService(Service s, boolean deleted) {
        String key = key(s.getMetadata().getNamespace(), s.getMetadata().getName());
        if (deleted) {
            services.remove(key);
        } else {
            services.put(key, s);
        }
        publish(s.getMetadata().getNamespace(), s.getMetadata().getName());
    }

    private synchronized void onSlice(EndpointSlice slice, boolean deleted) {
        String service = slice.getMetadata().getLabels() == null ? null
                : slice.getMetadata().getLabels().get(SERVICE_NAME_LABEL);
        if (service == null) {
            return; // not managed for a Service
        }
        String ns = slice.getMetadata().getNamespace();
        Map<String, EndpointSlice> of = slices.computeIfAbsent(key(ns, service), k -> new LinkedHashMap<>());
        if (deleted) {
            of.remove(slice.getMetadata().getName());
            if (of.isEmpty()) {
                slices.remove(key(ns, service));
            }
        } else {
            of.put(slice.getMetadata().getName(), slice);
        }
        publish(ns, service);
    }

    private synchronized void onPod(Pod pod, boolean deleted) {
        String ns = pod.getMetadata().getNamespace();
        String key = key(ns, pod.getMetadata().getName());
        if (deleted) {
            pods.remove(key);
        } else {
            pods.put(key, pod);
        }
        // A pod's labels and mesh status show on every service it backs; those are few, so the
        // watched names of its namespace are recomputed.
        for (Authority a : watches.names()) {
            if (a.host().endsWith("." + ns + svcSuffix) || a.isIpAddress()) {
                publish(a);
            }
        }
    }

    private void publish(String ns, String service) {
        String host = service + "." + ns + svcSuffix;
        for (Authority a : watches.names()) {
            if (a.host().equals(host) || a.isIpAddress()) {
                publish(a); // IP:port watches are few; any change may concern them
            }
        }
    }

    private void publish(Authority name) {
        watches.publish(name, compute(name));
    }

    // ---- the endpoints of a name ----

    private EndpointSet compute(Authority name) {
        if (name.isIpAddress()) {
            return computeIp(name);
        }
        String host = name.host();
        if (!host.endsWith(svcSuffix)) {
            return EndpointSet.empty();
        }
        String[] parts = host.substring(0, host.length() - svcSuffix.length()).split("\\.");
        if (parts.length != 2) {
            return EndpointSet.empty();
        }
        String service = parts[0];
        String ns = parts[1];
        Service svc = services.get(key(ns, service));
        if (svc == null) {
            return EndpointSet.empty();
        }
        EndpointSet exists = EndpointSet.empty().apply(new EndpointUpdate.NoEndpoints(true));
        ServicePort servicePort = null;
        for (ServicePort p : svc.getSpec().getPorts()) {
            if (p.getPort() != null && p.getPort() == name.port()) {
                servicePort = p;
            }
        }
        if (servicePort == null) {
            return exists;
        }
        String portName = servicePort.getName() == null ? "" : servicePort.getName();
        List<Endpoint> endpoints = new ArrayList<>();
        for (EndpointSlice slice : slices.getOrDefault(key(ns, service), Map.of()).values()) {
            Integer port = slicePort(slice, portName);
            if (port == null || slice.getEndpoints() == null) {
                continue;
            }
            for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
                if (e.getConditions() != null && Boolean.FALSE.equals(e.getConditions().getReady())) {
                    continue; // not ready, or terminating
                }
                Pod pod = pod(ns, e.getTargetRef());
                for (String address : e.getAddresses()) {
                    endpoints.add(endpoint(Authority.of(address, port), ns, service, pod, port));
                }
            }
        }
        return endpoints.isEmpty() ? exists : EndpointSet.of(endpoints);
    }

    /**
     * An {@code IP:port} lookup, as transparent proxying sees destinations: a Service's cluster IP
     * stands for the Service (on that port), a pod IP for that pod alone; anything else is unknown.
     */
    private EndpointSet computeIp(Authority address) {
        if (!address.hasPort()) {
            return EndpointSet.empty();
        }
        String ip = address.toInetAddress().getHostAddress();
        for (Service svc : services.values()) {
            List<String> clusterIps = new ArrayList<>();
            if (svc.getSpec().getClusterIPs() != null) {
                clusterIps.addAll(svc.getSpec().getClusterIPs());
            }
            clusterIps.add(svc.getSpec().getClusterIP()); // older API servers set only this one
            for (String clusterIp : clusterIps) {
                if (sameIp(clusterIp, ip)) {
                    return compute(Authority.of(svc.getMetadata().getName() + "." + svc.getMetadata().getNamespace()
                            + svcSuffix, address.port()));
                }
            }
        }
        // A finished pod (a Job's) keeps its IP after Kubernetes gives it to another, and host-network
        // pods share their node's: only a live pod of its own IP counts, a running one first.
        Pod found = null;
        for (Pod pod : pods.values()) {
            if (pod.getStatus() == null || !sameIp(pod.getStatus().getPodIP(), ip)) {
                continue;
            }
            String phase = pod.getStatus().getPhase();
            boolean hostNetwork = pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
            if (hostNetwork || "Succeeded".equals(phase) || "Failed".equals(phase)) {
                continue;
            }
            if (found == null || "Running".equals(phase)) {
                found = pod;
            }
        }
        if (found == null) {
            return EndpointSet.empty();
        }
        return EndpointSet.of(List.of(endpoint(address, found.getMetadata().getNamespace(), null, found, address.port())));
    }

    private static boolean sameIp(String candidate, String ip) {
        if (candidate == null || candidate.isEmpty() || "None".equals(candidate)) {
            return false;
        }
        try {
            Authority a = Authority.of(candidate, 1);
            return a.isIpAddress() && a.toInetAddress().getHostAddress().equals(ip);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Integer slicePort(EndpointSlice slice, String name) {
        if (slice.getPorts() == null) {
            return null;
        }
        for (EndpointPort p : slice.getPorts()) {
            String n = p.getName() == null ? "" : p.getName();
            if (n.equals(name)) {
                return p.getPort();
            }
        }
        return null;
    }

    private Pod pod(String ns, ObjectReference ref) {
        if (ref == null || !"Pod".equals(ref.getKind())) {
            return null;
        }
        return pods.get(key(ref.getNamespace() != null ? ref.getNamespace() : ns, ref.getName()));
    }

    private Endpoint endpoint(Authority address, String ns, String service, Pod pod, int port) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("namespace", ns);
        if (service != null) {
            labels.put("service", service);
        }
        Endpoint.Builder b = Endpoint.builder(address);
        if (pod != null) {
            labels.put("pod", pod.getMetadata().getName());
            String sa = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
            if (sa != null) {
                labels.put("serviceaccount", sa);
            }
            owner(pod, labels);
            Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? Map.of()
                    : pod.getMetadata().getAnnotations();
            if (meshed(annotations)) {
                if (opaquePorts(annotations.get(OPAQUE_PORTS_ANNOTATION)).contains(port)) {
                    b.protocolHint(ProtocolHint.OPAQUE);
                } else {
                    b.protocolHint(ProtocolHint.H2);
                }
                b.inboundPort(PROXY_INBOUND_PORT);
                // Its proxy is certified for the pod's service account (the identity service checks that
                // with a TokenReview), so clients can demand exactly that identity.
                try {
                    b.tlsIdentity(new io.meshj.tls.WorkloadIdentity(sa == null ? "default" : sa,
                            pod.getMetadata().getNamespace(), trustDomain).dnsName());
                } catch (IllegalArgumentException notAnIdentity) {
                    // a name Kubernetes would not have accepted; serve the endpoint without identity
                }
            }
        }
        return b.labels(labels).build();
    }

    /** A pod as the metrics API sees it: where its proxy's admin port is, and what it belongs to. */
    public record PodView(String namespace, String name, String ip, String deployment, String service, boolean meshed,
            int adminPort, int tapPort, String tlsIdentity) {
    }

    /** The pod annotation that moves a proxy's tap port off 4190. */
    static final String TAP_PORT_ANNOTATION = "config.meshj.io/tap-port";
    static final int PROXY_TAP_PORT = 4190;

    /** The pod annotation that moves a proxy's admin port off 4191 (Linkerd's config.linkerd.io/admin-port). */
    static final String ADMIN_PORT_ANNOTATION = "config.meshj.io/admin-port";
    static final int PROXY_ADMIN_PORT = 4191;

    /**
     * Every pod known now, with its deployment (or other owner), the first service whose endpoints
     * name it, and whether a meshj proxy runs in it.
     */
    public synchronized List<PodView> podViews() {
        Map<String, String> serviceOfPod = new HashMap<>();
        slices.forEach((serviceKey, byName) -> {
            String service = serviceKey.substring(serviceKey.indexOf('/') + 1);
            for (EndpointSlice slice : byName.values()) {
                if (slice.getEndpoints() == null) {
                    continue;
                }
                for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
                    if (e.getTargetRef() != null && "Pod".equals(e.getTargetRef().getKind())) {
                        String ns = e.getTargetRef().getNamespace() != null ? e.getTargetRef().getNamespace()
                                : slice.getMetadata().getNamespace();
                        serviceOfPod.merge(key(ns, e.getTargetRef().getName()), service, (a, b) -> a.compareTo(b) <= 0 ? a : b);
                    }
                }
            }
        });
        List<PodView> out = new ArrayList<>();
        for (Pod pod : pods.values()) {
            String ns = pod.getMetadata().getNamespace();
            String name = pod.getMetadata().getName();
            Map<String, String> owner = new HashMap<>();
            owner(pod, owner);
            Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? Map.of()
                    : pod.getMetadata().getAnnotations();
            int adminPort = port(annotations, ADMIN_PORT_ANNOTATION, PROXY_ADMIN_PORT);
            int tapPort = port(annotations, TAP_PORT_ANNOTATION, PROXY_TAP_PORT);
            out.add(new PodView(ns, name, pod.getStatus() == null ? null : pod.getStatus().getPodIP(),
                    owner.getOrDefault("deployment", owner.isEmpty() ? name : owner.values().iterator().next()),
                    serviceOfPod.get(key(ns, name)), meshed(annotations), adminPort,
                    tapPort, identityOf(pod)));
        }
        return out;
    }

    /**
     * True for a pod that has a meshj proxy: every injection (the webhook's or {@code meshj inject
     * --manual}) marks the proxy's version. The {@code meshj.io/inject: enabled} opt-in alone is not
     * enough: a pod created while the webhook was down (failurePolicy Ignore) has none, and clients
     * told to dial its proxy's port would find nothing there.
     */
    static boolean meshed(Map<String, String> annotations) {
        return annotations.containsKey(io.meshj.controller.inject.Injector.PROXY_VERSION_ANNOTATION);
    }

    /** The identity a meshed pod's proxy is certified for (its service account's), or null. */
    private String identityOf(Pod pod) {
        String sa = pod.getSpec() == null || pod.getSpec().getServiceAccountName() == null ? "default"
                : pod.getSpec().getServiceAccountName();
        try {
            return new io.meshj.tls.WorkloadIdentity(sa, pod.getMetadata().getNamespace(), trustDomain).dnsName();
        } catch (IllegalArgumentException notAnIdentity) {
            return null;
        }
    }

    /** A port from a pod annotation; {@code otherwise} (the injector's default) when absent or malformed. */
    private static int port(Map<String, String> annotations, String annotation, int otherwise) {
        try {
            return Integer.parseInt(annotations.getOrDefault(annotation, Integer.toString(otherwise)).trim());
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    /** The pod's owner as metric labels: a ReplicaSet made by a Deployment counts as the Deployment. */
    private static void owner(Pod pod, Map<String, String> labels) {
        List<OwnerReference> owners = pod.getMetadata().getOwnerReferences();
        if (owners == null || owners.isEmpty()) {
            return;
        }
        OwnerReference o = owners.get(0);
        String kind = o.getKind().toLowerCase(java.util.Locale.ROOT);
        String ownerName = o.getName();
        Map<String, String> podLabels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        String hash = podLabels.get("pod-template-hash");
        if (kind.equals("replicaset") && hash != null && ownerName.endsWith("-" + hash)) {
            kind = "deployment";
            ownerName = ownerName.substring(0, ownerName.length() - hash.length() - 1);
        }
        labels.put(kind, ownerName);
    }

    private static Set<Integer> opaquePorts(String annotation) {
        if (annotation == null || annotation.isBlank()) {
            return Set.of();
        }
        Set<Integer> ports = new java.util.HashSet<>();
        for (String p : annotation.split(",")) {
            try {
                ports.add(Integer.parseInt(p.trim()));
            } catch (NumberFormatException e) {
                // a malformed entry is ignored, as the proxy's injector would reject it
            }
        }
        return ports;
    }

    private static String key(String ns, String name) {
        return ns + "/" + name;
    }

}
