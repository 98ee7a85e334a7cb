package io.meshj.controller.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.controller.Controller;
import io.meshj.core.discovery.DestinationDiscovery;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.retry.ExponentialBackoff;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * 1,000 endpoints across 100 Services, watched through the destination API; the controller stops, the
 * cluster changes meanwhile, a new controller starts on the same port, and every watcher ends up with
 * exactly the cluster's endpoints.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesResyncTest {

    private static final int SERVICES = 100;
    private static final int PER_SERVICE = 10;

    KubernetesClient client;

    private void slice(int service, List<String> ips) {
        EndpointSliceBuilder b = new EndpointSliceBuilder()
                .withNewMetadata().withName("svc-" + service + "-s").withNamespace("bench")
                .addToLabels(KubernetesDiscovery.SERVICE_NAME_LABEL, "svc-" + service).endMetadata()
                .withAddressType("IPv4").addNewPort().withName("http").withPort(8080).endPort();
        for (String ip : ips) {
            b.addNewEndpoint().withAddresses(ip).withNewConditions().withReady(true).endConditions().endEndpoint();
        }
        client.discovery().v1().endpointSlices().inNamespace("bench").resource(b.build()).createOr(r -> r.update());
    }

    private static List<String> ips(int service, int from, int count) {
        List<String> ips = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            ips.add("10.3." + service + "." + i);
        }
        return ips;
    }

    private Controller controller(InetSocketAddress address) {
        return Controller.builder().destinationListen(address)
                .backend(KubernetesDiscovery.start(client, AuthorityNormalizer.defaults())).start();
    }

    @Test
    void watchersResynchroniseAfterAControllerRestart() throws Exception {
        for (int s = 0; s < SERVICES; s++) {
            client.services().inNamespace("bench").resource(new ServiceBuilder()
                    .withNewMetadata().withName("svc-" + s).withNamespace("bench").endMetadata()
                    .withNewSpec().addNewPort().withName("http").withPort(80).endPort().endSpec().build()).create();
            slice(s, ips(s, 1, PER_SERVICE));
        }
        Controller first = controller(new InetSocketAddress("127.0.0.1", 0));
        InetSocketAddress address = first.destinationAddress();
        ManagedChannel channel = NettyChannelBuilder.forAddress(address).usePlaintext().build();
        DestinationDiscovery discovery = DestinationDiscovery.builder(channel)
                .backoff(ExponentialBackoff.builder().min(Duration.ofMillis(20)).max(Duration.ofMillis(200)).build())
                .build();
        List<AtomicReference<EndpointSet>> states = new ArrayList<>();
        for (int s = 0; s < SERVICES; s++) {
            AtomicReference<EndpointSet> state = new AtomicReference<>(EndpointSet.empty());
            states.add(state);
            discovery.watch(Authority.parse("svc-" + s + ".bench:80"), u -> state.updateAndGet(x -> x.apply(u)));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> states.stream().allMatch(x -> x.get().size() == PER_SERVICE));

        Controller second = null;
        try {
            first.close();
            // While no controller runs: half the services lose their first three endpoints, the other
            // half gain two.
            for (int s = 0; s < SERVICES; s++) {
                slice(s, s % 2 == 0 ? ips(s, 4, PER_SERVICE - 3) : ips(s, 1, PER_SERVICE + 2));
            }
            second = controller(address);

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                for (int s = 0; s < SERVICES; s++) {
                    Set<String> expected = new TreeSet<>();
                    for (String ip : s % 2 == 0 ? ips(s, 4, PER_SERVICE - 3) : ips(s, 1, PER_SERVICE + 2)) {
                        expected.add(ip + ":8080");
                    }
                    Set<String> actual = new TreeSet<>();
                    for (Endpoint e : states.get(s).get().endpoints()) {
                        actual.add(e.address().toString());
                    }
                    assertThat(actual).as("svc-%d", s).isEqualTo(expected);
                }
            });
        } finally {
            discovery.close();
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            if (second != null) {
                second.close();
            }
        }
    }
}
