package io.meshj.core.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Two sources as one, each driven by hand. */
class UnionDiscoveryTest {

    private static final Authority WEB = Authority.parse("web.default.svc.cluster.local:80");
    private static final Endpoint E1 = Endpoint.of("10.0.0.1:80");
    private static final Endpoint E2 = Endpoint.of("10.0.0.2:80");

    /** A source that answers when told to. */
    private static final class HandSource implements DiscoverySource {
        DiscoveryListener listener;
        final AtomicInteger closedWatches = new AtomicInteger();

        @Override
        public Watch watch(Authority authority, DiscoveryListener l) {
            listener = l;
            return closedWatches::incrementAndGet;
        }

        @Override
        public void close() {
        }
    }

    private final HandSource a = new HandSource();
    private final HandSource b = new HandSource();
    private final List<EndpointUpdate> updates = new ArrayList<>();

    @Test
    void theFirstUpdateWaitsForBothAndIsTheirUnion() {
        new UnionDiscovery(a, b).watch(WEB, updates::add);
        a.listener.onUpdate(new EndpointUpdate.Add(List.of(E1)));
        assertThat(updates).isEmpty();

        b.listener.onUpdate(new EndpointUpdate.Add(List.of(E2)));

        assertThat(updates).singleElement().isInstanceOfSatisfying(EndpointUpdate.Add.class,
                add -> assertThat(add.endpoints()).containsExactly(E1, E2));
    }

    @Test
    void changesOfEitherSourceArriveAsNetChanges() {
        new UnionDiscovery(a, b).watch(WEB, updates::add);
        a.listener.onUpdate(new EndpointUpdate.Add(List.of(E1)));
        b.listener.onUpdate(new EndpointUpdate.NoEndpoints(false));
        updates.clear();

        b.listener.onUpdate(new EndpointUpdate.Add(List.of(E1))); // the same endpoint from the other side
        assertThat(updates).isEmpty();
        b.listener.onUpdate(new EndpointUpdate.Add(List.of(E2)));
        a.listener.onUpdate(new EndpointUpdate.NoEndpoints(false));
        assertThat(updates).containsExactly(new EndpointUpdate.Add(List.of(E2)));
        b.listener.onUpdate(new EndpointUpdate.NoEndpoints(false));
        assertThat(updates).last().isEqualTo(new EndpointUpdate.NoEndpoints(false));
    }

    @Test
    void aNameExistsIfEitherSourceKnowsIt() {
        new UnionDiscovery(a, b).watch(WEB, updates::add);
        a.listener.onUpdate(new EndpointUpdate.NoEndpoints(true));
        b.listener.onUpdate(new EndpointUpdate.NoEndpoints(false));
        assertThat(updates).containsExactly(new EndpointUpdate.NoEndpoints(true));
    }

    @Test
    void closingTheWatchClosesBothAndSilencesIt() {
        Watch w = new UnionDiscovery(a, b).watch(WEB, updates::add);
        w.close();
        a.listener.onUpdate(new EndpointUpdate.Add(List.of(E1)));
        b.listener.onUpdate(new EndpointUpdate.Add(List.of(E2)));
        assertThat(updates).isEmpty();
        assertThat(a.closedWatches).hasValue(1);
        assertThat(b.closedWatches).hasValue(1);
    }
}
