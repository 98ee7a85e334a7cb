package io.meshj.controller.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the Kubernetes backend makes of pods and endpoint conditions, against the CRUD mock API server. */
@EnableKubernetesMockClient(crud = true)
class KubernetesDiscoveryTest {

    private static final Authority WEB = Authority.parse("web-svc.emojivoto.svc.cluster.local:80");

    KubernetesClient client;
    private KubernetesDiscovery discovery;
    private final AtomicReference<EndpointSet> state = new AtomicReference<>(EndpointSet.empty());

    @AfterEach
    void close() {
        if (discovery != null) {
            discovery.close();
        }
    }

    private void pod(String name, String ip, String annotationKey, String annotationValue) {
        client.pods().inNamespace("emojivoto").resource(new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("emojivoto")
                .addToLabels("pod-template-hash", "5d4c7b9f8")
                .addToAnnotations("meshj.io/inject", "enabled").addToAnnotations("meshj.io/proxy-version", "test")
                .addToAnnotations(annotationKey, annotationValue)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName("web-5d4c7b9f8")
                .withUid("u1").endOwnerReference()
                .endMetadata()
                .withNewSpec().withServiceAccountName("web").addNewContainer().withName("web").withImage("web").endContainer()
                .endSpec()
                .withNewStatus().withPodIP(ip).endStatus()
                .build()).create();
    }

    private void service() {
        client.services().inNamespace("emojivoto").resource(new ServiceBuilder()
                .withNewMetadata().withName("web-svc").withNamespace("emojivoto").endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(80).endPort().endSpec().build()).create();
    }

    private void slice(boolean secondReady) {
        client.discovery().v1().endpointSlices().inNamespace("emojivoto").resource(new EndpointSliceBuilder()
                .withNewMetadata().withName("web-svc-x1").withNamespace("emojivoto")
                .addToLabels(KubernetesDiscovery.SERVICE_NAME_LABEL, "web-svc").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).endPort()
                .addNewEndpoint().withAddresses("10.2.0.1").withNewConditions().withReady(true).endConditions()
                .withNewTargetRef().withKind("Pod").withName("web-5d4c7b9f8-aaaaa").withNamespace("emojivoto").endTargetRef()
                .endEndpoint()
                .addNewEndpoint().withAddresses("10.2.0.2")
                .withNewConditions().withReady(secondReady).withTerminating(!secondReady).endConditions()
                .withNewTargetRef().withKind("Pod").withName("web-5d4c7b9f8-bbbbb").withNamespace("emojivoto").endTargetRef()
                .endEndpoint()
                .build()).createOr(r -> r.update());
    }

    private void watch() {
        discovery = KubernetesDiscovery.start(client, AuthorityNormalizer.defaults());
        discovery.watch(Authority.parse("web-svc.emojivoto:80"), u -> state.updateAndGet(s -> s.apply(u)));
    }

    private Endpoint endpoint(String address) {
        return state.get().endpoints().stream().filter(e -> e.address().equals(Authority.parse(address))).findFirst()
                .orElseThrow();
    }

    @Test
    void endpointsCarryTheirPodsLabelsAndMeshStatus() {
        pod("web-5d4c7b9f8-aaaaa", "10.2.0.1", "config.meshj.io/opaque-ports", "");
        pod("web-5d4c7b9f8-bbbbb", "10.2.0.2", "config.meshj.io/opaque-ports", "8080");
        service();
        slice(true);
        watch();

        await().atMost(Duration.ofSeconds(10)).until(() -> state.get().size() == 2);
        Endpoint a = endpoint("10.2.0.1:8080");
        assertThat(a.labels()).containsEntry("namespace", "emojivoto").containsEntry("service", "web-svc")
                .containsEntry("pod", "web-5d4c7b9f8-aaaaa").containsEntry("deployment", "web")
                .containsEntry("serviceaccount", "web");
        assertThat(a.protocolHint()).isEqualTo(ProtocolHint.H2);
        assertThat(a.inboundPort()).isEqualTo(4143);
        // Meshed: its proxy presents the pod's service account identity, and clients demand it.
        assertThat(a.tlsIdentity()).contains("web.emojivoto.serviceaccount.identity.meshj.cluster.local");
        // Port 8080 is opaque on the second pod: bytes, no protocol detection.
        assertThat(endpoint("10.2.0.2:8080").protocolHint()).isEqualTo(ProtocolHint.OPAQUE);
    }

    @Test
    void aTerminatingEndpointLeavesAndTheServiceGoingAwayIsSaid() {
        pod("web-5d4c7b9f8-aaaaa", "10.2.0.1", "x", "y");
        service();
        slice(true);
        watch();
        await().atMost(Duration.ofSeconds(10)).until(() -> state.get().size() == 2);

        slice(false); // the second pod is terminating: not ready
        await().atMost(Duration.ofSeconds(1)).until(() -> state.get().size() == 1);
        assertThat(state.get().endpoints()).extracting(Endpoint::address).containsExactly(Authority.parse("10.2.0.1:8080"));

        client.discovery().v1().endpointSlices().inNamespace("emojivoto").withName("web-svc-x1").delete();
        client.services().inNamespace("emojivoto").withName("web-svc").delete();
        await().atMost(Duration.ofSeconds(1)).until(() -> !state.get().exists());
    }

    @Test
    void ipLookupsResolveClusterIpsToTheirServiceAndPodIpsToTheirPod() {
        pod("web-5d4c7b9f8-aaaaa", "10.2.0.1", "x", "y");
        client.services().inNamespace("emojivoto").resource(new ServiceBuilder()
                .withNewMetadata().withName("web-svc").withNamespace("emojivoto").endMetadata()
                .withNewSpec().withClusterIP("10.96.0.20").addNewPort().withName("http").withPort(80).endPort().endSpec()
                .build()).create();
        slice(true);
        discovery = KubernetesDiscovery.start(client, AuthorityNormalizer.defaults());
        AtomicReference<EndpointSet> byClusterIp = new AtomicReference<>(EndpointSet.empty());
        AtomicReference<EndpointSet> byPodIp = new AtomicReference<>(EndpointSet.empty());
        AtomicReference<EndpointSet> unknown = new AtomicReference<>(EndpointSet.empty());
        discovery.watch(Authority.parse("10.96.0.20:80"), u -> byClusterIp.updateAndGet(s -> s.apply(u)));
        discovery.watch(Authority.parse("10.2.0.1:8080"), u -> byPodIp.updateAndGet(s -> s.apply(u)));
        discovery.watch(Authority.parse("10.9.9.9:80"), u -> unknown.updateAndGet(s -> s.apply(u)));

        await().atMost(Duration.ofSeconds(10)).until(() -> byClusterIp.get().size() == 2);
        assertThat(byPodIp.get().endpoints()).singleElement().satisfies(e -> {
            assertThat(e.address()).isEqualTo(Authority.parse("10.2.0.1:8080"));
            assertThat(e.labels()).containsEntry("pod", "web-5d4c7b9f8-aaaaa").containsEntry("deployment", "web");
        });
        assertThat(unknown.get().exists()).isFalse();
    }

    @Test
    void aFinishedPodDoesNotAnswerForTheIpItHad() {
        client.pods().inNamespace("batch").resource(new PodBuilder().withNewMetadata().withName("job-1").withNamespace("batch")
                .endMetadata().withNewStatus().withPodIP("10.2.0.9").withPhase("Succeeded").endStatus().build()).create();
        client.pods().inNamespace("emojivoto").resource(new PodBuilder().withNewMetadata().withName("web-new")
                .withNamespace("emojivoto").endMetadata().withNewStatus().withPodIP("10.2.0.9").withPhase("Running")
                .endStatus().build()).create();
        discovery = KubernetesDiscovery.start(client, AuthorityNormalizer.defaults());
        discovery.watch(Authority.parse("10.2.0.9:8080"), u -> state.updateAndGet(s -> s.apply(u)));

        assertThat(state.get().endpoints()).singleElement()
                .satisfies(e -> assertThat(e.labels()).containsEntry("pod", "web-new").containsEntry("namespace", "emojivoto"));
    }

    @Test
    void aNameWithoutAServiceDoesNotExist() {
        watch();
        assertThat(state.get()).isEqualTo(EndpointSet.empty().apply(new EndpointUpdate.NoEndpoints(false)));
    }
}
