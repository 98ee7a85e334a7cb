package io.meshj.controller.install;

import static io.meshj.controller.install.K8s.list;
import static io.meshj.controller.install.K8s.map;
import static io.meshj.controller.install.K8s.metadata;
import static io.meshj.controller.install.K8s.object;

import java.util.List;
import java.util.Map;

/**
 * The Prometheus {@code meshj install} adds (unless {@code --prometheus=false}): it finds every meshj
 * proxy by its {@code meshj-admin} container port and scrapes {@code /metrics}, attaching the target
 * labels {@code namespace}, {@code pod} and the workload's ({@code deployment}, ...) from the labels
 * injection gave the pod — the labels {@code meshj stat --prometheus} groups by, as Linkerd's config does.
 */
final class Prometheus {

    static final String NAME = "meshj-prometheus";

    private Prometheus() {
    }

    static List<Object> objects(InstallValues v, Map<String, Object> partOf) {
        String ns = InstallValues.NAMESPACE;
        Map<String, Object> labels = map("meshj.io/control-plane-component", "prometheus");
        Map<String, Object> container = map(
                "name", "prometheus",
                "image", v.prometheusImage(),
                "args", list("--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/data",
                        "--storage.tsdb.retention.time=6h", "--web.listen-address=0.0.0.0:9090"),
                "ports", list(map("containerPort", 9090, "name", "http")),
                "readinessProbe", map("httpGet", map("path", "/-/ready", "port", 9090)),
                "livenessProbe", map("httpGet", map("path", "/-/healthy", "port", 9090), "initialDelaySeconds", 30),
                "resources", map("requests", map("cpu", "100m", "memory", "256Mi"), "limits", map("memory", "1Gi")),
                "securityContext", map("allowPrivilegeEscalation", false, "readOnlyRootFilesystem", true,
                        "runAsNonRoot", true, "runAsUser", 65534),
                "volumeMounts", list(map("name", "config", "mountPath", "/etc/prometheus", "readOnly", true),
                        map("name", "data", "mountPath", "/data")));
        return List.of(
                object("v1", "ServiceAccount", metadata(NAME, ns, partOf)),
                object("rbac.authorization.k8s.io/v1", "ClusterRole", map("name", NAME, "labels", partOf),
                        "rules", list(map("apiGroups", list(""), "resources", list("pods"), "verbs", list("get", "list", "watch")))),
                object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", map("name", NAME, "labels", partOf),
                        "roleRef", map("apiGroup", "rbac.authorization.k8s.io", "kind", "ClusterRole", "name", NAME),
                        "subjects", list(map("kind", "ServiceAccount", "name", NAME, "namespace", ns))),
                object("v1", "ConfigMap", metadata(NAME + "-config", ns, partOf),
                        "data", map("prometheus.yml", InstallManifests.resource("/io/meshj/controller/install/prometheus.yml"))),
                object("apps/v1", "Deployment", metadata(NAME, ns, partOf), "spec", map(
                        "replicas", 1,
                        "selector", map("matchLabels", labels),
                        "template", map("metadata", map("labels", labels, "annotations", map("meshj.io/inject", "disabled")),
                                "spec", map("serviceAccountName", NAME, "containers", list(container),
                                        "volumes", list(map("name", "config", "configMap", map("name", NAME + "-config")),
                                                map("name", "data", "emptyDir", map())))))),
                object("v1", "Service", metadata(NAME, ns, partOf), "spec", map("selector", labels,
                        "ports", list(map("name", "http", "port", 9090, "targetPort", 9090)))));
    }
}
