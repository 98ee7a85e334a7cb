package io.meshj.controller.metrics;

import io.meshj.controller.kubernetes.KubernetesDiscovery;
import io.meshj.controller.registry.LocalRegistry;
import java.util.ArrayList;
import java.util.List;

/** Who the metrics API scrapes, from each backend. */
public final class ScrapeTargets {

    private ScrapeTargets() {
    }

    /** The registered workloads whose proxies have an admin port; deploy groups by a "deployment" label, else the service. */
    public static List<MetricsScraper.Target> of(LocalRegistry registry) {
        List<MetricsScraper.Target> out = new ArrayList<>();
        for (LocalRegistry.Workload w : registry.workloads()) {
            if (w.adminPort() > 0) {
                out.add(new MetricsScraper.Target(w.namespace(), w.name(), w.service(),
                        w.labels().getOrDefault("deployment", w.service()), url(w.address(), w.adminPort()), w.tlsIdentity()));
            }
        }
        return out;
    }

    /** The cluster's pods: meshed ones with their proxy's admin /metrics, the others only to be counted. */
    public static List<MetricsScraper.Target> of(KubernetesDiscovery cluster) {
        List<MetricsScraper.Target> out = new ArrayList<>();
        for (KubernetesDiscovery.PodView p : cluster.podViews()) {
            String url = p.meshed() && p.ip() != null && !p.ip().isEmpty() ? url(p.ip(), p.adminPort()) : null;
            out.add(new MetricsScraper.Target(p.namespace(), p.name(), p.service(), p.deployment(), url,
                    p.meshed() ? p.tlsIdentity() : null));
        }
        return out;
    }

    private static String url(String address, int port) {
        return "http://" + (address.contains(":") ? "[" + address + "]" : address) + ":" + port + "/metrics";
    }
}
