package io.meshj.core.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import io.meshj.core.testing.RecordingDiscoveryListener;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link DiscoverySource} must have (gRPC-Java's {@code AbstractTransportTest}
 * pattern): subclass it, say how to create the source and how to change what it serves, and the
 * whole contract runs against that implementation. Published in mesh-core's test-jar.
 *
 * <p>Service names in the contract are in namespace {@code default}, so an implementation's normaliser
 * must treat {@code web.default:80} and {@code web.default.svc.cluster.local:80} as one service.
 */
public abstract class DiscoverySourceContract {

    protected static final Authority WEB = Authority.parse("web.default.svc.cluster.local:80");
    protected static final Authority WEB_SHORT = Authority.parse("web.default:80");
    protected static final Authority MISSING = Authority.parse("missing.default.svc.cluster.local:80");
    protected static final Endpoint E1 = Endpoint.of("10.1.0.1:8080");
    protected static final Endpoint E2 = Endpoint.of("10.1.0.2:8080");
    protected static final Endpoint E3 = Endpoint.of("10.1.0.3:8080");

    /** How long a change may take to reach a watcher; generous for slow CI machines. */
    protected static final Duration PROPAGATION = Duration.ofSeconds(10);

    private DiscoverySource source;

    /** A new source that initially serves {@code web} with endpoints E1 and E2, and nothing else. */
    protected abstract DiscoverySource createSource() throws Exception;

    /** Changes the endpoints of {@code service} (creating it if needed; empty list = known, no endpoints). */
    protected abstract void setEndpoints(Authority service, List<Endpoint> endpoints) throws Exception;

    /** Makes {@code service} unknown. */
    protected abstract void deleteService(Authority service) throws Exception;

    @BeforeEach
    void startSource() throws Exception {
        source = createSource();
    }

    @AfterEach
    void closeSource() {
        source.close();
    }

    /**
     * The addresses of a state: endpoints are compared by address, since each source adds labels of
     * its own (a pod name, an owner) that the contract does not fix.
     */
    private static java.util.List<Authority> addresses(io.meshj.core.endpoint.EndpointSet state) {
        return state.endpoints().stream().map(Endpoint::address).toList();
    }

    protected DiscoverySource source() {
        return source;
    }

    @Test
    void firstUpdateIsTheCurrentState() {
        RecordingDiscoveryListener listener = new RecordingDiscoveryListener();
        source.watch(WEB, listener);
        await().atMost(PROPAGATION).until(() -> listener.count() >= 1);
        assertThat(listener.updates().get(0)).isInstanceOf(EndpointUpdate.Add.class);
        assertThat(addresses(listener.state())).containsExactlyInAnyOrder(E1.address(), E2.address());
    }

    @Test
    void unknownServiceSaysItDoesNotExist() {
        RecordingDiscoveryListener listener = new RecordingDiscoveryListener();
        source.watch(MISSING, listener);
        await().atMost(PROPAGATION).until(() -> listener.count() >= 1);
        assertThat(listener.updates().get(0)).isEqualTo(new EndpointUpdate.NoEndpoints(false));
    }

    @Test
    void shortAndLongNamesWatchTheSameService() {
        RecordingDiscoveryListener listener = new RecordingDiscoveryListener();
        source.watch(WEB_SHORT, listener);
        await().atMost(PROPAGATION).until(() -> listener.state().size() == 2);
    }

    @Test
    void changesReachWatchers() throws Exception {
        RecordingDiscoveryListener listener = new RecordingDiscoveryListener();
        source.watch(WEB, listener);
        await().atMost(PROPAGATION).until(() -> listener.count() >= 1);

        setEndpoints(WEB, List.of(E2, E3));
        await().atMost(PROPAGATION).untilAsserted(() ->
                assertThat(addresses(listener.state())).containsExactlyInAnyOrder(E2.address(), E3.address()));

        setEndpoints(WEB, List.of());
        await().atMost(PROPAGATION).untilAsserted(() -> {
            assertThat(listener.state().isEmpty()).isTrue();
            assertThat(listener.state().exists()).isTrue();
        });

        deleteService(WEB);
        await().atMost(PROPAGATION).untilAsserted(() -> assertThat(listener.state().exists()).isFalse());

        setEndpoints(WEB, List.of(E1));
        await().atMost(PROPAGATION).untilAsserted(() ->
                assertThat(addresses(listener.state())).containsExactly(E1.address()));
    }

    @Test
    void serviceCreatedAfterTheWatchStartsIsDelivered() throws Exception {
        RecordingDiscoveryListener listener = new RecordingDiscoveryListener();
        source.watch(MISSING, listener);
        await().atMost(PROPAGATION).until(() -> listener.count() >= 1);
        setEndpoints(MISSING, List.of(E3));
        await().atMost(PROPAGATION).untilAsserted(() ->
                assertThat(addresses(listener.state())).containsExactly(E3.address()));
    }

    @Test
    void closedWatchGetsNoMoreUpdates() throws Exception {
        RecordingDiscoveryListener closed = new RecordingDiscoveryListener();
        RecordingDiscoveryListener open = new RecordingDiscoveryListener();
        Watch watch = source.watch(WEB, closed);
        source.watch(WEB, open);
        await().atMost(PROPAGATION).until(() -> closed.count() >= 1 && open.count() >= 1);
        watch.close();
        watch.close(); // idempotent
        int before = closed.count();

        setEndpoints(WEB, List.of(E3));
        // The open watch proves the change was delivered; only then can we say the closed one missed it.
        await().atMost(PROPAGATION).untilAsserted(() ->
                assertThat(addresses(open.state())).containsExactly(E3.address()));
        assertThat(closed.count()).isEqualTo(before);
    }

    @Test
    void everyWatcherOfAServiceSeesTheSameState() throws Exception {
        RecordingDiscoveryListener first = new RecordingDiscoveryListener();
        source.watch(WEB, first);
        setEndpoints(WEB, List.of(E1, E2, E3));
        RecordingDiscoveryListener second = new RecordingDiscoveryListener();
        source.watch(WEB_SHORT, second);
        await().atMost(PROPAGATION).untilAsserted(() -> {
            assertThat(addresses(first.state())).containsExactlyInAnyOrder(E1.address(), E2.address(), E3.address());
            assertThat(addresses(second.state())).containsExactlyInAnyOrder(E1.address(), E2.address(), E3.address());
        });
    }
}
