package io.meshj.controller.kubernetes;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.DiscoverySourceContract;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import java.util.List;

/**
 * The discovery contract against fabric8's mock API server in CRUD mode: services are Services with
 * one EndpointSlice, created, changed and deleted through the API as a controller manager would.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesDiscoveryContractTest extends DiscoverySourceContract {

    private static final AuthorityNormalizer NORMALIZER = AuthorityNormalizer.defaults();

    KubernetesClient client;

    @Override
    protected DiscoverySource createSource() {
        setEndpoints(WEB, List.of(E1, E2));
        return KubernetesDiscovery.start(client, NORMALIZER);
    }

    @Override
    protected void setEndpoints(Authority service, List<Endpoint> endpoints) {
        Authority name = NORMALIZER.normalize(service);
        String[] parts = name.host().split("\\.");
        String svc = parts[0];
        String ns = parts[1];
        client.services().inNamespace(ns).resource(new ServiceBuilder()
                .withNewMetadata().withName(svc).withNamespace(ns).endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(name.port()).endPort().endSpec()
                .build()).createOr(r -> r.update());
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withName(svc + "-abcde").withNamespace(ns)
                .addToLabels(KubernetesDiscovery.SERVICE_NAME_LABEL, svc).endMetadata()
                .withAddressType("IPv4");
        if (!endpoints.isEmpty()) {
            slice.addNewPort().withName("http").withPort(endpoints.get(0).address().port()).endPort();
        }
        for (Endpoint e : endpoints) {
            slice.addNewEndpoint().withAddresses(e.address().host()).withNewConditions().withReady(true).endConditions()
                    .endEndpoint();
        }
        EndpointSlice built = slice.build();
        client.discovery().v1().endpointSlices().inNamespace(ns).resource(built).createOr(r -> r.update());
    }

    @Override
    protected void deleteService(Authority service) {
        Authority name = NORMALIZER.normalize(service);
        String[] parts = name.host().split("\\.");
        client.discovery().v1().endpointSlices().inNamespace(parts[1]).withName(parts[0] + "-abcde").delete();
        client.services().inNamespace(parts[1]).withName(parts[0]).delete();
    }
}
