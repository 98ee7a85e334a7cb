package io.meshj.controller.install;

import static io.meshj.controller.install.K8s.list;
import static io.meshj.controller.install.K8s.map;
import static io.meshj.controller.install.K8s.metadata;
import static io.meshj.controller.install.K8s.object;

import io.meshj.controller.inject.Manifests;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The objects of a meshj control plane on Kubernetes, as {@code meshj install} prints them (the shape of
 * Linkerd's install): the CRDs apart ({@code --crds}, applied first), then the namespace, least-privilege
 * RBAC, the identity issuer and trust roots, the controller (destination, identity, tap broker and
 * injector webhook in one Deployment) with its Services, the MutatingWebhookConfiguration, and
 * optionally a Prometheus that scrapes every proxy and Grafana dashboards over the same metric names.
 */
public final class InstallManifests {

    static final String NS = InstallValues.NAMESPACE;
    static final String CONTROLLER = "meshj-controller";
    static final String WEBHOOK_SERVICE = "meshj-webhook";
    static final String WEBHOOK_CONFIGURATION = "meshj-proxy-injector";
    static final String ISSUER_SECRET = "meshj-identity-issuer";
    static final String TRUST_ROOTS = "meshj-identity-trust-roots";
    static final String WEBHOOK_SECRET = "meshj-webhook-tls";

    private InstallManifests() {
    }

    /** The CRDs (ServiceProfile), to apply before the control plane. */
    public static List<Object> crds() {
        return List.of(Manifests.parse(resource("/io/meshj/controller/kubernetes/serviceprofiles.crd.yaml"),
                "serviceprofiles.crd.yaml").documents().get(0));
    }

    public static List<Object> controlPlane(InstallValues v) {
        Map<String, Object> partOf = map("meshj.io/control-plane-ns", NS);
        List<Object> out = new ArrayList<>();
        out.add(object("v1", "Namespace", map("name", NS,
                "labels", map("meshj.io/is-control-plane", "true", "meshj.io/control-plane-ns", NS),
                "annotations", map("meshj.io/inject", "disabled"))));
        out.add(object("v1", "ServiceAccount", metadata(CONTROLLER, NS, partOf)));
        out.add(object("rbac.authorization.k8s.io/v1", "ClusterRole", map("name", CONTROLLER, "labels", partOf),
                "rules", list(
                        // Discovery: services, their endpoint slices and the pods behind them; namespaces
                        // for the injector's opt-in annotation.
                        map("apiGroups", list(""), "resources", list("pods", "services", "namespaces"),
                                "verbs", list("get", "list", "watch")),
                        map("apiGroups", list("discovery.k8s.io"), "resources", list("endpointslices"),
                                "verbs", list("get", "list", "watch")),
                        map("apiGroups", list("meshj.io"), "resources", list("serviceprofiles"),
                                "verbs", list("get", "list", "watch")))));
        out.add(object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", map("name", CONTROLLER, "labels", partOf),
                "roleRef", map("apiGroup", "rbac.authorization.k8s.io", "kind", "ClusterRole", "name", CONTROLLER),
                "subjects", list(map("kind", "ServiceAccount", "name", CONTROLLER, "namespace", NS))));
        // The identity service checks workloads' tokens with TokenReviews.
        out.add(object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
                map("name", CONTROLLER + "-auth-delegator", "labels", partOf),
                "roleRef", map("apiGroup", "rbac.authorization.k8s.io", "kind", "ClusterRole", "name", "system:auth-delegator"),
                "subjects", list(map("kind", "ServiceAccount", "name", CONTROLLER, "namespace", NS))));
        out.add(object("v1", "Secret", metadata(ISSUER_SECRET, NS, partOf), "type", "Opaque",
                "stringData", map("trust-anchor.pem", v.trustAnchorPem(), "issuer.pem", v.issuerCertificatePem(),
                        "issuer-key.pem", v.issuerKeyPem())));
        out.add(object("v1", "ConfigMap", metadata(TRUST_ROOTS, NS, partOf), "data", map("ca-bundle.crt", v.trustAnchorPem())));
        out.add(object("v1", "Secret", metadata(WEBHOOK_SECRET, NS, partOf), "type", "kubernetes.io/tls",
                "stringData", map("tls.crt", v.webhookCertificatePem(), "tls.key", v.webhookKeyPem())));
        out.add(controllerDeployment(v, partOf));
        out.add(service("meshj-dst", 8086, 8086, "grpc", partOf));
        out.add(service("meshj-identity", 8080, 8080, "grpc", partOf));
        out.add(service(WEBHOOK_SERVICE, 443, 8443, "https", partOf));
        out.add(webhookConfiguration(v, partOf));
        if (v.prometheus()) {
            out.addAll(Prometheus.objects(v, partOf));
        }
        out.add(object("v1", "ConfigMap", metadata("meshj-grafana-dashboards", NS, map("meshj.io/control-plane-ns", NS,
                "grafana_dashboard", "1")), "data", map("meshj-top-line.json",
                resource("/io/meshj/controller/install/meshj-top-line.json"))));
        return out;
    }

    private static Map<String, Object> controllerDeployment(InstallValues v, Map<String, Object> partOf) {
        Map<String, Object> selector = map("meshj.io/control-plane-component", "controller");
        Map<String, Object> podLabels = map("meshj.io/control-plane-component", "controller", "meshj.io/control-plane-ns", NS);
        Map<String, Object> container = map(
                "name", "controller",
                "image", v.controllerImage() + ":" + v.version(),
                "imagePullPolicy", "IfNotPresent",
                "args", list("controller", "--in-cluster", "--tls", "--data-dir", "/var/lib/meshj",
                        "--destination-listen", "0.0.0.0:8086", "--identity-listen", "0.0.0.0:8080",
                        "--webhook-listen", "0.0.0.0:8443", "--webhook-tls-dir", "/var/run/meshj/webhook"),
                "ports", list(map("containerPort", 8086, "name", "grpc"), map("containerPort", 8080, "name", "identity"),
                        map("containerPort", 8443, "name", "webhook")),
                "readinessProbe", map("tcpSocket", map("port", 8086), "periodSeconds", 5),
                "livenessProbe", map("tcpSocket", map("port", 8086), "initialDelaySeconds", 20, "periodSeconds", 10),
                "resources", map("requests", map("cpu", v.controllerCpuRequest(), "memory", v.controllerMemoryRequest()),
                        "limits", map("memory", v.controllerMemoryLimit())),
                "securityContext", map("allowPrivilegeEscalation", false, "capabilities", map("drop", list("ALL")),
                        "readOnlyRootFilesystem", true, "runAsNonRoot", true, "runAsUser", 2103),
                "volumeMounts", list(
                        map("name", "identity-issuer", "mountPath", "/var/lib/meshj/identity", "readOnly", true),
                        map("name", "webhook-tls", "mountPath", "/var/run/meshj/webhook", "readOnly", true),
                        map("name", "tmp", "mountPath", "/tmp")));
        return object("apps/v1", "Deployment", metadata(CONTROLLER, NS, partOf), "spec", map(
                "replicas", v.controllerReplicas(),
                "selector", map("matchLabels", selector),
                "template", map("metadata", map("labels", podLabels, "annotations", map("meshj.io/inject", "disabled")),
                        "spec", map("serviceAccountName", CONTROLLER,
                                "containers", list(container),
                                "volumes", list(
                                        map("name", "identity-issuer", "secret", map("secretName", ISSUER_SECRET)),
                                        map("name", "webhook-tls", "secret", map("secretName", WEBHOOK_SECRET)),
                                        map("name", "tmp", "emptyDir", map()))))));
    }

    private static Map<String, Object> service(String name, int port, int targetPort, String portName, Map<String, Object> partOf) {
        return object("v1", "Service", metadata(name, NS, partOf), "spec", map(
                "selector", map("meshj.io/control-plane-component", "controller"),
                "ports", list(map("name", portName, "port", port, "targetPort", targetPort))));
    }

    private static Map<String, Object> webhookConfiguration(InstallValues v, Map<String, Object> partOf) {
        return object("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration",
                map("name", WEBHOOK_CONFIGURATION, "labels", partOf),
                "webhooks", list(map(
                        "name", "proxy-injector.meshj.io",
                        "clientConfig", map("service", map("name", WEBHOOK_SERVICE, "namespace", NS, "path", "/inject"),
                                "caBundle", Base64.getEncoder().encodeToString(v.webhookCaPem().getBytes(StandardCharsets.US_ASCII))),
                        "rules", list(map("operations", list("CREATE"), "apiGroups", list(""), "apiVersions", list("v1"),
                                "resources", list("pods"))),
                        // Never the control plane's own pods, nor the system's.
                        "namespaceSelector", map("matchExpressions", list(
                                map("key", "meshj.io/is-control-plane", "operator", "DoesNotExist"),
                                map("key", "kubernetes.io/metadata.name", "operator", "NotIn", "values", list("kube-system")))),
                        "failurePolicy", "Ignore",
                        "sideEffects", "None",
                        "admissionReviewVersions", list("v1"),
                        "timeoutSeconds", 10)));
    }

    static String resource(String name) {
        try (InputStream in = InstallManifests.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
