package io.meshj.controller.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshj.core.ConfigException;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.testing.FakeTicker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Register, renew, expire and persist, on a fake clock. */
class LocalRegistryTest {

    private static final Authority WEB = Authority.parse("web.emojivoto.svc.cluster.local:8080");

    @TempDir
    Path dir;

    private final FakeTicker ticker = new FakeTicker();
    private final List<EndpointUpdate> updates = new ArrayList<>();

    private LocalRegistry open() {
        return LocalRegistry.open(dir.resolve("registry.json"), ticker, AuthorityNormalizer.defaults());
    }

    private static LocalRegistry.Workload web(String name, String ip) {
        return new LocalRegistry.Workload(name, "emojivoto", "web", 8080, ip, "web-sa", ProtocolHint.H2, 4143,
                Map.of("version", "v1"));
    }

    @Test
    void aRegisteredWorkloadIsAnEndpointOfItsServiceWithItsLabels() {
        LocalRegistry registry = open();
        registry.watch(Authority.parse("web.emojivoto:8080"), updates::add);
        assertThat(updates).containsExactly(new EndpointUpdate.NoEndpoints(false));

        registry.register(web("web-1", "10.0.0.1"), Duration.ofSeconds(10));

        assertThat(updates).hasSize(2);
        EndpointUpdate.Add add = (EndpointUpdate.Add) updates.get(1);
        assertThat(add.endpoints()).singleElement().satisfies(e -> {
            assertThat(e.address()).isEqualTo(Authority.parse("10.0.0.1:8080"));
            assertThat(e.labels()).containsEntry("pod", "web-1").containsEntry("namespace", "emojivoto")
                    .containsEntry("service", "web").containsEntry("serviceaccount", "web-sa").containsEntry("version", "v1");
            assertThat(e.protocolHint()).isEqualTo(ProtocolHint.H2);
            assertThat(e.inboundPort()).isEqualTo(4143);
        });
    }

    @Test
    void aLeaseThatIsNotRenewedExpiresAndTakesItsEndpointAway() {
        LocalRegistry registry = open();
        LocalRegistry.Lease kept = registry.register(web("web-1", "10.0.0.1"), Duration.ofSeconds(10));
        LocalRegistry.Lease dropped = registry.register(web("web-2", "10.0.0.2"), Duration.ofSeconds(10));
        registry.watch(WEB, updates::add);
        updates.clear();

        ticker.advance(Duration.ofSeconds(6));
        registry.renew(kept.id());
        ticker.advance(Duration.ofSeconds(6)); // web-2's lease is 12 s old now, web-1's 6 s
        registry.expire();

        assertThat(updates).containsExactly(new EndpointUpdate.Remove(List.of(Authority.parse("10.0.0.2:8080"))));
        assertThatThrownBy(() -> registry.renew(dropped.id())).isInstanceOf(NoSuchElementException.class)
                .hasMessageContaining("register again");

        ticker.advance(Duration.ofSeconds(10));
        registry.expire();
        assertThat(updates).last().isEqualTo(new EndpointUpdate.NoEndpoints(false));
        assertThat(registry.size()).isZero();
    }

    @Test
    void registeringTheSameAddressAgainReplacesTheRegistration() {
        LocalRegistry registry = open();
        LocalRegistry.Lease first = registry.register(web("web-1", "10.0.0.1"), null);
        LocalRegistry.Lease second = registry.register(web("web-1-restarted", "10.0.0.1"), null);

        assertThat(registry.size()).isEqualTo(1);
        assertThatThrownBy(() -> registry.renew(first.id())).isInstanceOf(NoSuchElementException.class);
        assertThat(registry.renew(second.id()).ttl()).isEqualTo(LocalRegistry.DEFAULT_TTL);
    }

    @Test
    void deregisteringRemovesAtOnce() {
        LocalRegistry registry = open();
        LocalRegistry.Lease lease = registry.register(web("web-1", "10.0.0.1"), null);
        registry.watch(WEB, updates::add);

        assertThat(registry.deregister(lease.id())).isTrue();
        assertThat(registry.deregister(lease.id())).isFalse();
        assertThat(updates).last().isEqualTo(new EndpointUpdate.NoEndpoints(false));
    }

    @Test
    void registrationsSurviveARestartWithAFreshLease() {
        LocalRegistry before = open();
        LocalRegistry.Lease lease = before.register(web("web-1", "10.0.0.1"), Duration.ofSeconds(10));
        before.flush(); // what the controller does every second
        ticker.advance(Duration.ofSeconds(9));

        LocalRegistry after = open();
        after.watch(WEB, updates::add);
        assertThat(updates).singleElement().isInstanceOf(EndpointUpdate.Add.class);
        // The restarted controller gives the lease its whole time to live again; the workload renews it.
        ticker.advance(Duration.ofSeconds(9));
        after.expire();
        assertThat(after.renew(lease.id()).ttl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(after.size()).isEqualTo(1);
    }

    @Test
    void anIpAndPortLookupNamesTheWorkloadRegisteredThere() {
        LocalRegistry registry = open();
        registry.watch(Authority.parse("10.0.0.1:8080"), updates::add);
        LocalRegistry.Lease lease = registry.register(web("web-1", "10.0.0.1"), null);
        registry.register(web("web-2", "10.0.0.2"), null);

        assertThat(updates).hasSize(2);
        assertThat(updates.get(0)).isEqualTo(new EndpointUpdate.NoEndpoints(false));
        assertThat(((EndpointUpdate.Add) updates.get(1)).endpoints()).singleElement()
                .satisfies(e -> assertThat(e.labels()).containsEntry("pod", "web-1"));
        registry.deregister(lease.id());
        assertThat(updates).last().isEqualTo(new EndpointUpdate.NoEndpoints(false));
    }

    private static LocalRegistry.Workload client(String name, String ip) {
        return new LocalRegistry.Workload(name, "emojivoto", "", 0, ip, "bff-sa", ProtocolHint.H2, 0,
                Map.of("deployment", "bff"), null, 4191, 4190);
    }

    @Test
    void aClientIsKnownButIsNoEndpointOfAnything() {
        LocalRegistry registry = open();
        registry.watch(Authority.parse("10.0.0.9:4191"), updates::add);
        updates.clear();
        LocalRegistry.Lease first = registry.register(client("bff-1", "10.0.0.9"), Duration.ofSeconds(10));
        assertThat(updates).as("no watch hears of a client").isEmpty();
        assertThat(registry.workloads()).singleElement().satisfies(w -> {
            assertThat(w.isClient()).isTrue();
            assertThat(w.serviceOrNull()).isNull();
            assertThat(w.deployment()).isEqualTo("bff");
        });
        // Registering again (a restarted client) replaces it; another client beside it is another.
        LocalRegistry.Lease again = registry.register(client("bff-1", "10.0.0.9"), Duration.ofSeconds(10));
        registry.register(client("bff-2", "10.0.0.10"), Duration.ofSeconds(10));
        assertThat(registry.size()).isEqualTo(2);
        assertThatThrownBy(() -> registry.renew(first.id())).isInstanceOf(NoSuchElementException.class);
        // Renewed, it stays; expired, it goes.
        ticker.advance(Duration.ofSeconds(6));
        registry.renew(again.id());
        ticker.advance(Duration.ofSeconds(6));
        registry.expire();
        assertThat(registry.workloads()).extracting(LocalRegistry.Workload::name).containsExactly("bff-1");
        assertThat(registry.deregister(again.id())).isTrue();
        assertThat(registry.size()).isZero();
        assertThat(updates).isEmpty();
    }

    @Test
    void aClientSurvivesARestartAndNeedsANameAndAnIp() {
        LocalRegistry before = open();
        before.register(client("bff-1", "10.0.0.9"), Duration.ofSeconds(10));
        before.flush();
        assertThat(open().workloads()).extracting(LocalRegistry.Workload::name).containsExactly("bff-1");
        assertThatThrownBy(() -> before.register(client("", "10.0.0.9"), null)).hasMessage("workload name is required");
        assertThatThrownBy(() -> before.register(client("bff-3", "bff.example"), null)).hasMessageContaining("must be an IP address");
        // Without a deployment label, stat groups a client by its name.
        assertThat(new LocalRegistry.Workload("bff-4", "ns", "", 0, "10.0.0.1", "", null, 0, null).deployment()).isEqualTo("bff-4");
    }

    @Test
    void badWorkloadsAreRejectedNamingTheField() {
        LocalRegistry registry = open();
        assertThatThrownBy(() -> registry.register(new LocalRegistry.Workload("w", "ns", "", 80, "10.0.0.1", "", null, 0,
                null), null)).isInstanceOf(IllegalArgumentException.class).hasMessage("workload service is required");
        assertThatThrownBy(() -> registry.register(new LocalRegistry.Workload("w", "ns", "web", 0, "10.0.0.1", "", null, 0,
                null), null)).hasMessageContaining("port 0");
        assertThatThrownBy(() -> registry.register(new LocalRegistry.Workload("w", "ns", "web", 80, "web.example", "", null,
                0, null), null)).hasMessageContaining("must be an IP address");
        assertThatThrownBy(() -> registry.register(web("w", "10.0.0.1"), Duration.ofHours(1))).hasMessageContaining("ttl");
        assertThat(registry.size()).isZero();
    }

    @Test
    void changesAreWrittenWhenFlushedOrClosedNotBefore() {
        LocalRegistry registry = open();
        registry.register(web("web-1", "10.0.0.1"), null);
        assertThat(dir.resolve("registry.json")).doesNotExist();
        registry.close();
        assertThat(open().size()).isEqualTo(1);
    }

    @Test
    void aCorruptStateFileIsAConfigErrorNamingIt() throws Exception {
        Files.writeString(dir.resolve("registry.json"), "{ not json");
        assertThatThrownBy(this::open).isInstanceOf(ConfigException.class).hasMessageContaining("registry.json");
    }
}
