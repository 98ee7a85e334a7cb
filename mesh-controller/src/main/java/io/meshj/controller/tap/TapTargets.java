package io.meshj.controller.tap;

import io.meshj.controller.kubernetes.KubernetesDiscovery;
import io.meshj.controller.registry.LocalRegistry;
import java.util.ArrayList;
import java.util.List;

/** Whose tap servers the broker can observe, from each backend. */
public final class TapTargets {

    private TapTargets() {
    }

    /** Registered workloads that announced a tap port; deploy groups by a "deployment" label, else the service. */
    public static List<TapTarget> of(LocalRegistry registry) {
        List<TapTarget> out = new ArrayList<>();
        for (LocalRegistry.Workload w : registry.workloads()) {
            if (w.tapPort() > 0) {
                out.add(new TapTarget(w.namespace(), w.name(), w.labels().getOrDefault("deployment", w.service()),
                        w.service(), w.address(), w.tapPort(), w.tlsIdentity()));
            }
        }
        return out;
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
