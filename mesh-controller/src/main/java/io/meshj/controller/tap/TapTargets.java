package io.meshj.controller.tap;

import io.meshj.controller.kubernetes.KubernetesDiscovery;
import io.meshj.controller.registry.LocalRegistry;
import java.util.ArrayList;
import java.util.List;

/** Whose tap servers the broker can observe, from each backend. */
public final class TapTargets {

    private TapTargets() {
    }

    /**
     * Registered workloads that announced a tap port, each tap server once (tapped twice, its events
     * would show twice); deploy groups by a "deployment" label, else the service.
     */
    public static List<TapTarget> of(LocalRegistry registry) {
        java.util.Map<String, TapTarget> byServer = new java.util.TreeMap<>();
        for (LocalRegistry.Workload w : registry.workloads()) {
            if (w.tapPort() > 0) {
                TapTarget t = new TapTarget(w.namespace(), w.name(), w.deployment(), w.serviceOrNull(), w.address(),
                        w.tapPort(), w.tlsIdentity());
                byServer.merge(w.address() + " " + w.tapPort(), t, (a, b) -> a.service() != null ? a : b);
            }
        }
        return new ArrayList<>(byServer.values());
    }

    /** Meshed pods with an address, their proxy's tap port and their service account's identity. */
    public static List<TapTarget> of(KubernetesDiscovery cluster) {
        List<TapTarget> out = new ArrayList<>();
        for (KubernetesDiscovery.PodView p : cluster.podViews()) {
            if (p.meshed() && p.ip() != null && !p.ip().isEmpty()) {
                out.add(new TapTarget(p.namespace(), p.name(), p.deployment(), p.service(), p.ip(), p.tapPort(),
                        p.tlsIdentity()));
            }
        }
        return out;
    }
}
