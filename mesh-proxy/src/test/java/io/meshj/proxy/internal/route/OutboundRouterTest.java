package io.meshj.proxy.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.discovery.DiscoveryListener;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.Watch;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.proxy.internal.ProxyError;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where outbound requests and connections go, with and without an original destination. */
class OutboundRouterTest {

    private static final Authority WEB = Authority.parse("web.default.svc.cluster.local:80");
    private static final Authority EMPTY = Authority.parse("empty.default.svc.cluster.local:80");
    private static final Authority PAIR = Authority.parse("pair.default.svc.cluster.local:80");
    private static final Authority MESHED_POD = Authority.parse("10.1.0.7:8080");
    private static final Authority UNCLAIMED = Authority.parse("192.0.2.10:6379");

    private final EventLoop loop = new DefaultEventLoop();
    private final FakeSource discovery = new FakeSource(Map.of(
            WEB, EndpointSet.of(List.of(Endpoint.of("10.1.0.3:8080"))),
            EMPTY, EndpointSet.empty().apply(new EndpointUpdate.NoEndpoints(true)),
            PAIR, EndpointSet.of(List.of(Endpoint.of("10.1.0.4:8080"), Endpoint.of("10.1.0.5:8080"))),
            MESHED_POD, EndpointSet.of(List.of(Endpoint.builder(MESHED_POD).protocolHint(ProtocolHint.H2).inboundPort(4143)
                    .tlsIdentity("web.default.serviceaccount.identity.meshj.cluster.local").build()))));
    private final OutboundRouter router = new OutboundRouter(discovery, AuthorityNormalizer.defaults());

    @AfterEach
    void stop() throws InterruptedException {
        router.close();
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    private Future<Target> route(OutboundRouter r, String authority, String original) throws InterruptedException {
        Future<Target> f = r.route(authority == null ? null : Authority.parse(authority), null,
                original == null ? null : Authority.parse(original), loop);
        assertThat(f.await(10, TimeUnit.SECONDS)).isTrue();
        return f;
    }

    private Target target(String authority, String original) throws InterruptedException {
        Future<Target> f = route(router, authority, original);
        assertThat(f.isSuccess()).as(String.valueOf(f.cause())).isTrue();
        return f.getNow();
    }

    @Test
    void opaqueTcpToAnAddressNobodyClaimsIsDialedDirectlyInPlaintext() throws InterruptedException {
        Target t = target(null, UNCLAIMED.toString());

        assertThat(t.address()).isEqualTo(UNCLAIMED);
        assertThat(t.identity()).isNull();
        assertThat(t.pick()).isNull();
        assertThat(t.viaProxy()).isFalse();
        assertThat(discovery.watched).as("asked discovery by IP first").contains(UNCLAIMED);
    }

    @Test
    void opaqueTcpToAMeshedEndpointGoesToItsProxyOverMtlsNamingTheEndpoint() throws InterruptedException {
        Target t = target(null, MESHED_POD.toString());

        assertThat(t.address()).isEqualTo(Authority.parse("10.1.0.7:4143"));
        assertThat(t.endpoint()).isEqualTo(MESHED_POD);
        assertThat(t.identity()).isEqualTo("web.default.serviceaccount.identity.meshj.cluster.local");
        assertThat(t.viaProxy()).as("the transport header names the endpoint").isTrue();
        assertThat(t.pick()).isNotNull();
        t.onCancel();
    }

    @Test
    void httpToAKnownServiceRoutesByItsAuthorityWhateverTheOriginalDestination() throws InterruptedException {
        Target t = target("web", UNCLAIMED.toString());

        assertThat(t.address()).isEqualTo(Authority.parse("10.1.0.3:8080"));
        t.onCancel();
    }

    @Test
    void aRetryIsRoutedToAnotherEndpointThanTheOneItFailedAt() throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            Target failed = target("pair", null);
            Future<Target> f = router.reroute(Authority.parse("pair"), null, null, failed, loop);
            assertThat(f.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(f.getNow().endpoint()).isNotEqualTo(failed.endpoint());
            failed.onCancel();
            f.getNow().onCancel();
        }
    }

    @Test
    void aRetryHasAnotherEndpointToGoToOnlyWhenTheServiceHasOne() throws InterruptedException {
        Target pair = target("pair", null);
        Target single = target("web", null);

        assertThat(router.hasOtherEndpoint(Authority.parse("pair"), null, pair)).isTrue();
        assertThat(router.hasOtherEndpoint(Authority.parse("web"), null, single)).isFalse();
        assertThat(router.hasOtherEndpoint(Authority.parse("unknown.example:8080"), null,
                target("unknown.example:8080", null))).as("dialed as written").isFalse();
        pair.onCancel();
        single.onCancel();
    }

    @Test
    void httpToAKnownServiceWithoutEndpointsStillFails() throws InterruptedException {
        Future<Target> f = route(router, "empty", UNCLAIMED.toString());

        assertThat(f.cause()).isInstanceOfSatisfying(RouteException.class,
                e -> assertThat(e.error()).isEqualTo(ProxyError.NO_ENDPOINTS));
    }

    @Test
    void httpToANameNoServiceHasGoesToTheOriginalDestination() throws InterruptedException {
        assertThat(target("unknown.example:8080", UNCLAIMED.toString()).address()).isEqualTo(UNCLAIMED);
        // ... meshed when the controller knows that address.
        Target meshed = target("unknown.example:8080", MESHED_POD.toString());
        assertThat(meshed.address()).isEqualTo(Authority.parse("10.1.0.7:4143"));
        meshed.onCancel();
    }

    @Test
    void httpToAnIpLiteralNobodyClaimsGoesToTheOriginalDestination() throws InterruptedException {
        assertThat(target("192.0.2.99:80", UNCLAIMED.toString()).address()).isEqualTo(UNCLAIMED);
        assertThat(target(UNCLAIMED.toString(), UNCLAIMED.toString()).address()).isEqualTo(UNCLAIMED);
    }

    @Test
    void withoutAnOriginalDestinationAnUnknownNameIsDialedAsWrittenAndNoNameFails() throws InterruptedException {
        assertThat(target("unknown.example:8080", null).address()).isEqualTo(Authority.parse("unknown.example:8080"));

        Future<Target> f = route(router, null, null);
        assertThat(f.cause()).isInstanceOfSatisfying(RouteException.class,
                e -> assertThat(e.error()).isEqualTo(ProxyError.NO_AUTHORITY));
    }

    @Test
    void withoutDiscoveryEverythingGoesToTheOriginalDestination() throws InterruptedException {
        try (OutboundRouter plain = new OutboundRouter(null, AuthorityNormalizer.defaults())) {
            assertThat(route(plain, null, UNCLAIMED.toString()).getNow().address()).isEqualTo(UNCLAIMED);
            assertThat(route(plain, "web", UNCLAIMED.toString()).getNow().address()).isEqualTo(UNCLAIMED);
            assertThat(route(plain, "web", null).getNow().address()).isEqualTo(Authority.parse("web:80"));
        }
    }

    /** Answers every watch at once, on the caller's thread, from a fixed map; records what was watched. */
    private static final class FakeSource implements DiscoverySource {
        private final Map<Authority, EndpointSet> services;
        final List<Authority> watched = new CopyOnWriteArrayList<>();

        FakeSource(Map<Authority, EndpointSet> services) {
            this.services = new ConcurrentHashMap<>(services);
        }

        @Override
        public Watch watch(Authority authority, DiscoveryListener listener) {
            watched.add(authority);
            listener.onUpdate(services.getOrDefault(authority, EndpointSet.empty()).asInitialUpdate());
            return () -> { };
        }

        @Override
        public void close() {
        }
    }
}
