package io.meshj.controller.destination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.controller.Controller;
import io.meshj.core.discovery.ProfileDiscovery;
import io.meshj.core.discovery.StaticFileDiscovery;
import io.meshj.core.name.Authority;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxies' profile client against the controller's GetProfile, over the local mode's profile files. */
class ProfileDiscoveryTest {

    @TempDir
    Path dir;

    private Controller controller;
    private ManagedChannel channel;
    private ProfileDiscovery profiles;

    @AfterEach
    void stop() throws InterruptedException {
        if (profiles != null) {
            profiles.close();
        }
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (controller != null) {
            controller.close();
        }
    }

    private static final String PROFILE = """
            apiVersion: meshj.io/v1alpha1
            kind: ServiceProfile
            metadata: {name: web.default.svc.cluster.local, namespace: default}
            spec:
              routes:
              - name: GET /books
                condition: {all: [{method: GET}, {pathRegex: /books}]}
                responseClasses:
                - condition: {status: {min: 404, max: 404}}
                  isFailure: true
                timeout: 250ms
              - name: not-get
                condition: {not: {method: GET}}
              retryBudget: {retryRatio: 0.5, minRetriesPerSecond: 3, ttl: 20s}
            """;

    @Test
    void aWatchGetsTheProfileAndItsChangesAsTheCoreModel() throws Exception {
        Path profileDir = Files.createDirectories(dir.resolve("profiles"));
        Path file = Files.writeString(profileDir.resolve("web.yml"), PROFILE);
        ProfileDirectory source = ProfileDirectory.open(profileDir);
        Files.writeString(dir.resolve("static.yml"), "services: {}\n");
        controller = Controller.builder().destinationListen(new InetSocketAddress("127.0.0.1", 0))
                .backend(StaticFileDiscovery.builder(dir.resolve("static.yml")).build()).profiles(source).start();
        channel = NettyChannelBuilder.forAddress(controller.destinationAddress()).usePlaintext().build();
        profiles = ProfileDiscovery.builder(channel).build();
        List<ServiceProfile> seen = new CopyOnWriteArrayList<>();
        profiles.watch(Authority.parse("web.default:8080"), seen::add);
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
        ServiceProfile p = seen.get(0);
        assertThat(p.name()).isEqualTo("web.default.svc.cluster.local");
        assertThat(p.routes()).extracting(Route::name).containsExactly("GET /books", "not-get");
        Route books = p.routes().get(0);
        assertThat(books.timeout()).contains(Duration.ofMillis(250));
        assertThat(p.route("GET", "/books")).isSameAs(books);
        assertThat(p.route("GET", "/books/1").name()).isEqualTo(ServiceProfile.DEFAULT_ROUTE_NAME);
        assertThat(p.route("POST", "/books").name()).isEqualTo("not-get");
        assertThat(books.isFailure(404)).isTrue();
        assertThat(books.isFailure(503)).isTrue();
        assertThat(books.isFailure(200)).isFalse();
        // A declared route without a timeout gets Linkerd's default, and the wire carries it.
        assertThat(p.routes().get(1).timeout()).contains(Route.DEFAULT_TIMEOUT);
        // The budget crosses the wire too (a float ratio: near enough).
        assertThat(p.retryBudget().retryRatio()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(p.retryBudget().minRetriesPerSecond()).isEqualTo(3);
        assertThat(p.retryBudget().ttl()).isEqualTo(Duration.ofSeconds(20));

        Files.writeString(file, PROFILE.replace("name: not-get", "name: writes"));
        source.poll();
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
        assertThat(seen.get(1).routes()).extracting(Route::name).containsExactly("GET /books", "writes");
    }

    @Test
    void aServiceWithoutAProfileOrAControllerThatIsGoneGetsTheDefaultProfile() throws Exception {
        Files.writeString(dir.resolve("static.yml"), "services: {}\n");
        controller = Controller.builder().destinationListen(new InetSocketAddress("127.0.0.1", 0))
                .backend(StaticFileDiscovery.builder(dir.resolve("static.yml")).build()).start();
        InetSocketAddress address = controller.destinationAddress();
        channel = NettyChannelBuilder.forAddress(address).usePlaintext().build();
        profiles = ProfileDiscovery.builder(channel).build();
        List<ServiceProfile> seen = new CopyOnWriteArrayList<>();
        profiles.watch(Authority.parse("web.default:8080"), seen::add);
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
        assertThat(seen.get(0).routes()).isEmpty();

        controller.close();
        controller = null;
        List<ServiceProfile> later = new CopyOnWriteArrayList<>();
        profiles.watch(Authority.parse("api.default:8080"), later::add);
        await().atMost(Duration.ofSeconds(5)).until(() -> later.size() == 1);
        assertThat(later.get(0).routes()).isEmpty();
    }
}
