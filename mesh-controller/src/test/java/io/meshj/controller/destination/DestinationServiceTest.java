package io.meshj.controller.destination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.ProtocolHint;
import io.meshj.api.destination.v1.Update;
import io.meshj.api.destination.v1.WeightedAddress;
import io.meshj.controller.Controller;
import io.meshj.controller.testing.RecordingObserver;
import io.meshj.core.discovery.DiscoveryListener;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.StaticFileDiscovery;
import io.meshj.core.discovery.Watch;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The destination service on a loopback port, with a gRPC client, over a fake and over the static file backend. */
class DestinationServiceTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final FakeDiscovery fake = new FakeDiscovery();
    private Controller controller;
    private ManagedChannel channel;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (controller != null) {
            controller.close();
        }
    }

    private DestinationGrpc.DestinationStub client(DiscoverySource backend) {
        controller = Controller.builder().destinationListen(new InetSocketAddress("127.0.0.1", 0)).backend(backend).start();
        channel = NettyChannelBuilder.forAddress(controller.destinationAddress()).usePlaintext().build();
        return DestinationGrpc.newStub(channel);
    }

    private static GetDestination path(String path) {
        return GetDestination.newBuilder().setPath(path).build();
    }

    private static Endpoint endpoint(String address) {
        return Endpoint.builder(Authority.parse(address)).build();
    }

    @Test
    void theFirstMessageIsTheWholeAnswerWithEveryField() throws Exception {
        fake.initially = new EndpointUpdate.Add(List.of(
                Endpoint.builder(Authority.parse("10.0.0.1:8080")).weight(500).labels(Map.of("pod", "web-1"))
                        .protocolHint(io.meshj.core.endpoint.ProtocolHint.H2).inboundPort(4143)
                        .tlsIdentity("web.default.serviceaccount.identity.meshj.cluster.local").build(),
                endpoint("10.0.0.2:8080")));
        Updates updates = Updates.get(client(fake), "web.default:8080");

        Update first = updates.next();
        assertThat(first.hasAdd()).isTrue();
        assertThat(first.getAdd().getAddressesList()).hasSize(2);
        WeightedAddress a = first.getAdd().getAddresses(0);
        assertThat(a.getAddress().getHost()).isEqualTo("10.0.0.1");
        assertThat(a.getAddress().getPort()).isEqualTo(8080);
        assertThat(a.getWeight()).isEqualTo(500);
        assertThat(a.getMetricLabelsMap()).containsEntry("pod", "web-1");
        assertThat(a.getProtocolHint()).isEqualTo(ProtocolHint.PROTOCOL_HINT_H2);
        assertThat(a.getInboundPort()).isEqualTo(4143);
        assertThat(a.getTlsIdentity().getName()).isEqualTo("web.default.serviceaccount.identity.meshj.cluster.local");
        assertThat(fake.watched).containsKey(Authority.parse("web.default:8080"));
    }

    @Test
    void changesArriveInOrder() throws Exception {
        fake.initially = new EndpointUpdate.Add(List.of(endpoint("10.0.0.1:80")));
        Updates updates = Updates.get(client(fake), "web:80");
        assertThat(updates.next().getAdd().getAddressesCount()).isEqualTo(1);
        DiscoveryListener backend = fake.listener(Authority.parse("web:80"));

        backend.onUpdate(new EndpointUpdate.Add(List.of(endpoint("10.0.0.2:80"))));
        backend.onUpdate(new EndpointUpdate.Remove(List.of(Authority.parse("10.0.0.1:80"))));
        backend.onUpdate(new EndpointUpdate.NoEndpoints(true));

        Update added = updates.next();
        assertThat(added.getAdd().getAddresses(0).getAddress().getHost()).isEqualTo("10.0.0.2");
        Update removed = updates.next();
        assertThat(removed.getRemove().getAddresses(0).getAddress().getHost()).isEqualTo("10.0.0.1");
        Update none = updates.next();
        assertThat(none.hasNoEndpoints()).isTrue();
        assertThat(none.getNoEndpoints().getExists()).isTrue();
    }

    @Test
    void anUnknownNameIsNoEndpointsOnceNotAnErrorStorm() throws Exception {
        fake.initially = new EndpointUpdate.NoEndpoints(false);
        Updates updates = Updates.get(client(fake), "nosuch.default:80");

        Update first = updates.next();
        assertThat(first.hasNoEndpoints()).isTrue();
        assertThat(first.getNoEndpoints().getExists()).isFalse();
        // The backend repeating itself changes nothing for the client.
        fake.listener(Authority.parse("nosuch.default:80")).onUpdate(new EndpointUpdate.NoEndpoints(false));
        assertThat(updates.queue.poll(200, TimeUnit.MILLISECONDS)).isNull();
        assertThat(updates.error).isNull();
    }

    @Test
    void aMalformedPathIsInvalidArgumentNamingIt() {
        client(fake);
        DestinationGrpc.DestinationBlockingStub blocking = DestinationGrpc.newBlockingStub(channel);
        assertThatThrownBy(() -> blocking.get(path("web:notaport")).next())
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("web:notaport");
                });
        assertThatThrownBy(() -> blocking.get(path("")).next())
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThat(fake.watched).isEmpty();
    }

    @Test
    void cancellingTheCallClosesTheWatch() throws Exception {
        fake.initially = new EndpointUpdate.Add(List.of(endpoint("10.0.0.1:80")));
        Updates updates = Updates.get(client(fake), "web:80");
        updates.next();

        updates.call.cancel("client done", null);

        await().atMost(WAIT).until(() -> fake.closed.get() == 1);
    }

    @Test
    void theDefaultProfileNamesTheServiceFully() throws Exception {
        RecordingObserver<DestinationProfile> profiles = new RecordingObserver<>();
        client(fake).getProfile(path("web:8080"), profiles);
        DestinationProfile p = profiles.next(WAIT);
        assertThat(p.getFullyQualifiedName()).isEqualTo("web.default.svc.cluster.local");
        assertThat(p.getRoutesList()).isEmpty();
        assertThat(p.getRetryBudget().getRetryRatio()).isEqualTo(0.2f);
    }

    @Test
    void staticEntriesReachWatchersAndTheirChangesFollow(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("static.yml"),
                "services:\n  web.default:80:\n    - 10.0.0.1:8080\n  empty.default:80: []\n");
        StaticFileDiscovery backend = StaticFileDiscovery.builder(file).reloadInterval(Duration.ofMillis(20)).build();
        DestinationGrpc.DestinationStub stub = client(backend);
        Updates web = Updates.get(stub, "web:80");
        Updates empty = Updates.get(stub, "empty.default.svc.cluster.local:80");

        assertThat(web.next().getAdd().getAddresses(0).getAddress().getHost()).isEqualTo("10.0.0.1");
        Update none = empty.next();
        assertThat(none.getNoEndpoints().getExists()).isTrue();

        Files.writeString(dir.resolve("static.yml.tmp"), "services:\n  web.default:80:\n    - 10.0.0.2:8080\n");
        Files.move(dir.resolve("static.yml.tmp"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);

        // The net change, in whichever order the backend reports it: 10.0.0.2 in, 10.0.0.1 out.
        List<Update> changes = List.of(web.next(), web.next());
        assertThat(changes).filteredOn(Update::hasAdd).singleElement()
                .satisfies(u -> assertThat(hosts(u.getAdd().getAddressesList())).containsExactly("10.0.0.2"));
        assertThat(changes).filteredOn(Update::hasRemove).singleElement()
                .satisfies(u -> assertThat(hosts(u.getRemove().getAddressesList())).containsExactly("10.0.0.1"));
        assertThat(empty.next().getNoEndpoints().getExists()).isFalse(); // the service is gone from the file
    }

    private static List<String> hosts(List<WeightedAddress> addresses) {
        return addresses.stream().map(a -> a.getAddress().getHost()).toList();
    }

    /** A client's view of one Get call. */
    private static final class Updates implements ClientResponseObserver<GetDestination, Update> {
        final BlockingQueue<Update> queue = new LinkedBlockingQueue<>();
        volatile Throwable error;
        ClientCallStreamObserver<GetDestination> call;

        static Updates get(DestinationGrpc.DestinationStub stub, String path) {
            Updates u = new Updates();
            stub.get(path(path), u);
            return u;
        }

        Update next() throws InterruptedException {
            Update u = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(u).as("an update within %s (error: %s)", WAIT, error).isNotNull();
            return u;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<GetDestination> requestStream) {
            this.call = requestStream;
        }

        @Override
        public void onNext(Update value) {
            queue.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
        }
    }

    /** A backend whose answers the test gives; it remembers the watches and counts their closes. */
    private static final class FakeDiscovery implements DiscoverySource {
        final Map<Authority, DiscoveryListener> watched = new ConcurrentHashMap<>();
        final AtomicInteger closed = new AtomicInteger();
        volatile EndpointUpdate initially;

        DiscoveryListener listener(Authority authority) {
            await().atMost(WAIT).until(() -> watched.containsKey(authority));
            return watched.get(authority);
        }

        @Override
        public Watch watch(Authority authority, DiscoveryListener listener) {
            watched.put(authority, listener);
            if (initially != null) {
                listener.onUpdate(initially);
            }
            return closed::incrementAndGet;
        }

        @Override
        public void close() {
        }
    }
}
