package io.meshj.controller.metrics;

import io.meshj.controller.ResourceType;
import io.meshj.metrics.Sample;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The resource types stat and edges group pods by, and how each names a pod (a scrape target) and the
 * destination of an outbound series (from its dst_* labels, as Linkerd's queries do).
 */
enum Grouping {
    POD(MetricsScraper.Target::pod, "dst_pod"),
    DEPLOYMENT(MetricsScraper.Target::deployment, "dst_deployment"),
    SERVICE(MetricsScraper.Target::service, "dst_service"),
    NAMESPACE(MetricsScraper.Target::namespace, "dst_namespace");

    private final Function<MetricsScraper.Target, String> name;
    private final String dstLabel;

    Grouping(Function<MetricsScraper.Target, String> name, String dstLabel) {
        this.name = name;
        this.dstLabel = dstLabel;
    }

    /** The grouping a resource type names (kubectl's short and long forms, as {@link ResourceType#parse}), or null. */
    static Grouping of(String type) {
        ResourceType t = ResourceType.parse(type);
        return t == null ? null : switch (t) {
            case POD -> POD;
            case DEPLOYMENT -> DEPLOYMENT;
            case SERVICE -> SERVICE;
            case NAMESPACE -> NAMESPACE;
        };
    }

    /** The resource {@code t} belongs to, or null (a pod of no service, say). */
    String name(MetricsScraper.Target t) {
        return name.apply(t);
    }

    /** The namespace rows of this grouping are keyed by: none for namespaces themselves. */
    String namespaceOf(String namespace) {
        return this == NAMESPACE ? "" : namespace;
    }

    /**
     * The resource an outbound series went to, or null when its labels do not say. The dst_* label first;
     * without it (a local workload registered with no "deployment" label) the destination pod, when it
     * is a known target, is grouped as the controller groups it everywhere else.
     */
    String destination(Sample s, Map<String, MetricsScraper.Target> podsByKey) {
        String named = s.label(dstLabel);
        if (named != null && !named.isEmpty()) {
            return named;
        }
        String ns = s.label("dst_namespace");
        String pod = s.label("dst_pod");
        if (ns == null || pod == null) {
            return null;
        }
        MetricsScraper.Target t = podsByKey.get(podKey(ns, pod));
        return t == null ? null : name(t);
    }

    /** Every known pod by {@link #podKey}, for {@link #destination}. */
    static Map<String, MetricsScraper.Target> index(Iterable<MetricsScraper.Target> targets) {
        Map<String, MetricsScraper.Target> out = new HashMap<>();
        for (MetricsScraper.Target t : targets) {
            out.put(podKey(t.namespace(), t.pod()), t);
        }
        return out;
    }

    static String podKey(String namespace, String pod) {
        return namespace + "/" + pod;
    }
}
