package io.meshj.controller.metrics;

import io.meshj.controller.kubernetes.KubernetesDiscovery;
import io.meshj.controller.registry.LocalRegistry;
import java.util.ArrayList;
import java.util.List;

/** Who the metrics API scrapes, from each backend. */
public final class ScrapeTargets {

    private ScrapeTargets() {
    }

    /**
     * The registered workloads whose proxies have an admin port, each admin server once (a workload that
     * registered as a client and as an endpoint, or as endpoints of two services, is one proxy to
     * scrape: twice would count its traffic twice); deploy groups by a "deployment" label, else the
     * service.
     */
    public static List<MetricsScraper.Target> of(LocalRegistry registry) {
        java.util.Map<String, MetricsScraper.Target> byUrl = new java.util.TreeMap<>();
        for (LocalRegistry.Workload w : registry.workloads()) {
            if (w.adminPort() > 0) {
                String url = url(w.address(), w.adminPort());
                MetricsScraper.Target t = new MetricsScraper.Target(w.namespace(), w.name(), w.serviceOrNull(),
                        w.deployment(), url, w.tlsIdentity());
                byUrl.merge(url, t, (a, b) -> a.service() != null ? a : b); // an endpoint's, which names its service
            }
        }
        return new ArrayList<>(byUrl.values());
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
