package io.meshj.controller.destination;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.controller.Controller;
import io.meshj.core.discovery.DestinationDiscovery;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.DiscoverySourceContract;
import io.meshj.core.discovery.StaticFileDiscovery;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.testing.DiscoveryFiles;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The discovery contract end to end: a {@link DestinationDiscovery} client, over a real gRPC connection,
 * to a controller serving the local registry's static file, which the test rewrites.
 */
class DestinationDiscoveryContractTest extends DiscoverySourceContract {

    private static final AuthorityNormalizer NORMALIZER = AuthorityNormalizer.defaults();

    @TempDir
    Path dir;

    private final Map<Authority, List<Endpoint>> services = new LinkedHashMap<>();
    private Controller controller;
    private ManagedChannel channel;

    @Override
    protected DiscoverySource createSource() throws IOException {
        services.put(WEB, List.of(E1, E2));
        write();
        controller = Controller.builder()
                .destinationListen(new InetSocketAddress("127.0.0.1", 0))
                .backend(StaticFileDiscovery.builder(dir.resolve("static.yml")).reloadInterval(Duration.ofMillis(10)).build())
                .start();
        channel = NettyChannelBuilder.forAddress(controller.destinationAddress()).usePlaintext().build();
        return DestinationDiscovery.builder(channel).build();
    }

    @AfterEach
    void stopController() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controller.close();
    }

    @Override
    protected void setEndpoints(Authority service, List<Endpoint> endpoints) throws IOException {
        services.put(NORMALIZER.normalize(service), endpoints);
        write();
    }

    @Override
    protected void deleteService(Authority service) throws IOException {
        services.remove(NORMALIZER.normalize(service));
        write();
    }

    private void write() throws IOException {
        DiscoveryFiles.write(dir.resolve("static.yml"), services);
    }
}
