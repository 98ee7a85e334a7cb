package io.meshj.controller.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.controller.Controller;
import io.meshj.controller.testing.RecordingObserver;
import io.meshj.core.name.AuthorityNormalizer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ServiceProfile resources in the CRUD mock API server, streamed by the destination API's GetProfile. */
@EnableKubernetesMockClient(crud = true)
class KubernetesProfilesTest {

    KubernetesClient client;
    private Controller controller;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (controller != null) {
            controller.close();
        }
    }

    private void apply(String yaml) {
        apply("emojivoto", yaml);
    }

    private void apply(String namespace, String yaml) {
        GenericKubernetesResource r = client.getKubernetesSerialization().unmarshal(
                yaml.replace("namespace: emojivoto", "namespace: " + namespace), GenericKubernetesResource.class);
        client.genericKubernetesResources(KubernetesProfiles.SERVICE_PROFILES).inNamespace(namespace).resource(r)
                .createOr(x -> x.update());
    }

    private static String profile(String route, String timeout) {
        return "apiVersion: meshj.io/v1alpha1\nkind: ServiceProfile\nmetadata:\n"
                + "  name: web-svc.emojivoto.svc.cluster.local\n  namespace: emojivoto\nspec:\n  routes:\n"
                + "  - name: " + route + "\n    condition: {method: POST, pathRegex: /api/vote}\n"
                + "    responseClasses:\n    - condition: {status: {min: 500, max: 599}}\n      isFailure: true\n"
                + "    isRetryable: true\n    timeout: " + timeout + "\n"
                + "  retryBudget: {retryRatio: 0.3, minRetriesPerSecond: 5, ttl: 20s}\n";
    }

    @Test
    void profilesStreamAsTheyChangeAndAnInvalidOneIsIgnored() throws Exception {
        apply(profile("POST /api/vote", "300ms"));
        controller = Controller.builder().destinationListen(new InetSocketAddress("127.0.0.1", 0))
                .backend(KubernetesDiscovery.start(client, AuthorityNormalizer.defaults()))
                .profiles(KubernetesProfiles.start(client, "cluster.local")).start();
        channel = NettyChannelBuilder.forAddress(controller.destinationAddress()).usePlaintext().build();
        RecordingObserver<DestinationProfile> profiles = new RecordingObserver<>();
        DestinationGrpc.newStub(channel).getProfile(GetDestination.newBuilder().setPath("web-svc.emojivoto:80").build(),
                profiles);

        DestinationProfile first = profiles.next(Duration.ofSeconds(10));
        assertThat(first.getFullyQualifiedName()).isEqualTo("web-svc.emojivoto.svc.cluster.local");
        assertThat(first.getRoutesList()).singleElement().satisfies(r -> {
            assertThat(r.getName()).isEqualTo("POST /api/vote");
            assertThat(r.getIsRetryable()).isTrue();
            assertThat(r.getTimeout().getNanos()).isEqualTo(300_000_000);
            assertThat(r.getCondition().getAll().getMatchesCount()).isEqualTo(2);
            assertThat(r.getResponseClasses(0).getCondition().getStatus().getMin()).isEqualTo(500);
        });
        assertThat(first.getRetryBudget().getRetryRatio()).isEqualTo(0.3f);

        apply("other", profile("hijack", "1s")); // another namespace may not describe emojivoto's service
        apply(profile("vote", "bogus")); // invalid timeout: ignored, the profile stays
        apply(profile("vote", "1s"));
        DestinationProfile changed = profiles.next(Duration.ofSeconds(10));
        assertThat(changed.getRoutes(0).getName()).isEqualTo("vote");
        assertThat(changed.getRoutes(0).getTimeout().getSeconds()).isEqualTo(1);

        client.genericKubernetesResources(KubernetesProfiles.SERVICE_PROFILES).inNamespace("emojivoto")
                .withName("web-svc.emojivoto.svc.cluster.local").delete();
        DestinationProfile removed = profiles.next(Duration.ofSeconds(10));
        assertThat(removed.getRoutesList()).isEmpty();
    }
}
