package io.meshj.controller.kubernetes;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshj.controller.destination.ProfileSource;
import io.meshj.core.ConfigException;
import io.meshj.core.discovery.Watch;
import io.meshj.core.name.Authority;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.core.profile.ServiceProfileParser;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;

/**
 * Service profiles from {@code ServiceProfile} resources ({@code meshj.io/v1alpha1}), through an
 * informer. A profile is named by its service's fully qualified name
 * ({@code web-svc.emojivoto.svc.cluster.local}), lives in that service's namespace, and applies to
 * every port of it. Each resource is
 * validated by {@link ServiceProfileParser}; one that does not pass is logged with the reason and
 * ignored, and the service keeps the profile it had.
 */
public final class KubernetesProfiles implements ProfileSource {

    private static final System.Logger LOG = System.getLogger(KubernetesProfiles.class.getName());

    /** The CRD, named here so the client needs no discovery round trip. */
    static final ResourceDefinitionContext SERVICE_PROFILES = new ResourceDefinitionContext.Builder()
            .withGroup("meshj.io").withVersion("v1alpha1").withKind("ServiceProfile").withPlural("serviceprofiles")
            .withNamespaced(true).build();

    private final SharedIndexInformer<GenericKubernetesResource> informer;
    private final String svcSuffix;
    /** Profiles by the fully qualified name of the service they describe. */
    private final Map<String, ServiceProfile> byService = new HashMap<>();
    private final Map<String, List<Consumer<ServiceProfile>>> watchers = new HashMap<>();

    private KubernetesProfiles(KubernetesClient client, String clusterDomain) {
        this.svcSuffix = ".svc." + clusterDomain;
        informer = client.genericKubernetesResources(SERVICE_PROFILES).inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource r) {
                changed(r, false);
            }

            @Override
            public void onUpdate(GenericKubernetesResource oldR, GenericKubernetesResource r) {
                changed(r, false);
            }

            @Override
            public void onDelete(GenericKubernetesResource r, boolean unknown) {
                changed(r, true);
            }
        }, 0);
        // As for endpoints: what was listed is served from the start, not when the handler catches up.
        informer.getStore().list().forEach(r -> changed(r, false));
    }

    /**
     * Starts the informer on {@code client}.
     *
     * @throws io.fabric8.kubernetes.client.KubernetesClientException if the resources cannot be listed
     *     (the CRD is not installed, or the controller may not read it)
     */
    public static KubernetesProfiles start(KubernetesClient client, String clusterDomain) {
        return new KubernetesProfiles(requireNonNull(client, "client"), requireNonNull(clusterDomain, "clusterDomain"));
    }

    @Override
    public synchronized Watch watch(Authority name, Consumer<ServiceProfile> listener) {
        String service = name.host();
        watchers.computeIfAbsent(service, k -> new ArrayList<>()).add(listener);
        listener.accept(byService.getOrDefault(service, ServiceProfile.empty(service)));
        return () -> {
            synchronized (KubernetesProfiles.this) {
                List<Consumer<ServiceProfile>> ws = watchers.get(service);
                if (ws != null) {
                    ws.remove(listener);
                    if (ws.isEmpty()) {
                        watchers.remove(service);
                    }
                }
            }
        };
    }

    @Override
    public void close() {
        informer.close();
    }

    private synchronized void changed(GenericKubernetesResource r, boolean deleted) {
        String resource = r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
        String service = r.getMetadata().getName();
        // A profile describes a service of its own namespace (<svc>.<ns>.svc.<domain>); one elsewhere
        // would let anyone who may create profiles in some namespace retune another team's service.
        if (!service.endsWith("." + r.getMetadata().getNamespace() + svcSuffix)) {
            LOG.log(System.Logger.Level.WARNING, "ignoring ServiceProfile {0}: its name must be the fully qualified"
                    + " name of a service in its namespace (<service>.{1}{2})", resource, r.getMetadata().getNamespace(),
                    svcSuffix);
            return;
        }
        if (deleted) {
            byService.remove(service);
            publish(service, ServiceProfile.empty(service));
            return;
        }
        ServiceProfile profile;
        try {
            profile = ServiceProfileParser.parse("ServiceProfile " + resource, yaml(r));
        } catch (ConfigException e) {
            LOG.log(System.Logger.Level.WARNING, "ignoring ServiceProfile {0}: {1}", resource, e.getMessage());
            return;
        }
        byService.put(service, profile);
        publish(service, profile);
    }

    private void publish(String service, ServiceProfile profile) {
        for (Consumer<ServiceProfile> w : watchers.getOrDefault(service, List.of())) {
            w.accept(profile);
        }
    }

    /** The resource as the document the parser reads: what the user wrote, without server fields. */
    private static String yaml(GenericKubernetesResource r) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apiVersion", r.getApiVersion());
        doc.put("kind", r.getKind());
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", r.getMetadata().getName());
        metadata.put("namespace", r.getMetadata().getNamespace());
        doc.put("metadata", metadata);
        Object spec = r.getAdditionalProperties().get("spec");
        doc.put("spec", spec == null ? Map.of() : spec);
        return new Dump(DumpSettings.builder().build()).dumpToString(doc);
    }
}
