package io.meshj.controller.destination;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.controller.Controller;
import io.meshj.core.discovery.DestinationDiscovery;
import io.meshj.core.discovery.StaticFileDiscovery;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import io.meshj.core.retry.ExponentialBackoff;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller stops and comes back with changed endpoints: while it is away the watcher keeps what it
 * had (no update at all), and after the reconnect it hears exactly the difference.
 */
class DestinationDiscoveryReconnectTest {

    @TempDir
    Path dir;

    private Controller controller;
    private ManagedChannel channel;
    private DestinationDiscovery discovery;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (discovery != null) {
            discovery.close();
        }
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (controller != null) {
            controller.close();
        }
    }

    private Controller startController(InetSocketAddress address) {
        return Controller.builder().destinationListen(address)
                .backend(StaticFileDiscovery.builder(dir.resolve("static.yml")).reloadInterval(Duration.ZERO).build())
                .start();
    }

    private void writeEndpoints(String... addresses) throws IOException {
        StringBuilder yaml = new StringBuilder("services:\n  web.default:80:\n");
        for (String a : addresses) {
            yaml.append("    - ").append(a).append('\n');
        }
        Files.writeString(dir.resolve("static.yml"), yaml);
    }

    @Test
    void aRestartedControllerResynchronisesWithoutLosingOrRepeatingEndpoints() throws Exception {
        writeEndpoints("10.0.0.1:80", "10.0.0.2:80");
        controller = startController(new InetSocketAddress("127.0.0.1", 0));
        InetSocketAddress address = controller.destinationAddress();
        channel = NettyChannelBuilder.forAddress(address).usePlaintext().build();
        discovery = DestinationDiscovery.builder(channel)
                .backoff(ExponentialBackoff.builder().min(Duration.ofMillis(20)).max(Duration.ofMillis(200)).build())
                .build();
        BlockingQueue<EndpointUpdate> updates = new LinkedBlockingQueue<>();
        discovery.watch(Authority.parse("web:80"), updates::add);

        EndpointUpdate first = updates.poll(10, TimeUnit.SECONDS);
        assertThat(first).isInstanceOfSatisfying(EndpointUpdate.Add.class, a -> assertThat(addresses(a.endpoints()))
                .containsExactlyInAnyOrder("10.0.0.1:80", "10.0.0.2:80"));

        controller.close();
        // While the controller is away, the watcher keeps its endpoints: nothing is delivered.
        assertThat(updates.poll(300, TimeUnit.MILLISECONDS)).isNull();

        writeEndpoints("10.0.0.2:80", "10.0.0.3:80");
        controller = startController(address);

        EndpointUpdate u1 = updates.poll(10, TimeUnit.SECONDS);
        EndpointUpdate u2 = updates.poll(10, TimeUnit.SECONDS);
        assertThat(List.of(u1, u2)).filteredOn(EndpointUpdate.Add.class::isInstance).singleElement()
                .satisfies(u -> assertThat(addresses(((EndpointUpdate.Add) u).endpoints())).containsExactly("10.0.0.3:80"));
        assertThat(List.of(u1, u2)).filteredOn(EndpointUpdate.Remove.class::isInstance).singleElement()
                .satisfies(u -> assertThat(((EndpointUpdate.Remove) u).addresses()).containsExactly(Authority.parse("10.0.0.1:80")));
        assertThat(updates.poll(200, TimeUnit.MILLISECONDS)).as("nothing repeated").isNull();
    }

    private static List<String> addresses(List<Endpoint> endpoints) {
        return endpoints.stream().map(e -> e.address().toString()).toList();
    }
}
