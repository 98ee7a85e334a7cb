package io.meshj.core.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshj.core.name.Authority;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EndpointSetTest {

    private static final Endpoint A = Endpoint.of("10.0.0.1:80");
    private static final Endpoint B = Endpoint.of("10.0.0.2:80");
    private static final Endpoint C = Endpoint.of("10.0.0.3:80");

    @Test
    void addAddsAndReplacesByAddress() {
        EndpointSet set = EndpointSet.empty().apply(new EndpointUpdate.Add(List.of(A, B)));
        assertThat(set.exists()).isTrue();
        assertThat(set.endpoints()).containsExactly(A, B);

        Endpoint heavierB = B.toBuilder().weight(20_000).label("pod", "b").build();
        set = set.apply(new EndpointUpdate.Add(List.of(heavierB, C)));
        assertThat(set.endpoints()).containsExactly(A, heavierB, C);
        assertThat(set.get(B.address()).weight()).isEqualTo(20_000);
    }

    @Test
    void removeRemovesKnownAddressesAndIgnoresOthers() {
        EndpointSet set = EndpointSet.of(List.of(A, B, C));
        EndpointSet after = set.apply(new EndpointUpdate.Remove(List.of(B.address(), Authority.parse("10.9.9.9:80"))));
        assertThat(after.endpoints()).containsExactly(A, C);
        assertThat(after.exists()).isTrue();
        assertThat(after.apply(new EndpointUpdate.Remove(List.of(B.address())))).isSameAs(after);
    }

    @Test
    void noEndpointsEmptiesAndRecordsExistence() {
        EndpointSet set = EndpointSet.of(List.of(A, B));
        EndpointSet known = set.apply(new EndpointUpdate.NoEndpoints(true));
        assertThat(known.isEmpty()).isTrue();
        assertThat(known.exists()).isTrue();
        EndpointSet unknown = set.apply(new EndpointUpdate.NoEndpoints(false));
        assertThat(unknown.isEmpty()).isTrue();
        assertThat(unknown.exists()).isFalse();
        assertThat(unknown).isEqualTo(EndpointSet.empty());
    }

    @Test
    void initialUpdateDescribesTheSet() {
        assertThat(EndpointSet.empty().asInitialUpdate()).isEqualTo(new EndpointUpdate.NoEndpoints(false));
        assertThat(EndpointSet.empty().apply(new EndpointUpdate.NoEndpoints(true)).asInitialUpdate())
                .isEqualTo(new EndpointUpdate.NoEndpoints(true));
        assertThat(EndpointSet.of(List.of(A, B)).asInitialUpdate()).isEqualTo(new EndpointUpdate.Add(List.of(A, B)));
    }

    @Test
    void updatesToTransformsAnySetIntoAnyOther() {
        // Property: for random pairs of sets, applying from.updatesTo(to) to from yields to.
        SplittableRandom random = new SplittableRandom(42);
        for (int run = 0; run < 2_000; run++) {
            EndpointSet from = randomSet(random);
            EndpointSet to = randomSet(random);
            EndpointSet result = from;
            List<EndpointUpdate> updates = from.updatesTo(to);
            for (EndpointUpdate u : updates) {
                result = result.apply(u);
            }
            assertThat(result.exists()).isEqualTo(to.exists());
            assertThat(List.copyOf(result.endpoints())).containsExactlyInAnyOrderElementsOf(to.endpoints());
            assertThat(updates.size()).isLessThanOrEqualTo(2);
            if (from.equals(to)) {
                assertThat(updates).isEmpty();
            }
        }
    }

    @Test
    void endpointRejectsBadValues() {
        assertThatThrownBy(() -> Endpoint.of("10.0.0.1")).hasMessageContaining("has no port");
        assertThatThrownBy(() -> Endpoint.builder(A.address()).weight(0)).hasMessageContaining("must be positive");
        assertThat(A.weight()).isEqualTo(Endpoint.DEFAULT_WEIGHT);
        assertThat(A.protocolHint().isMeshed()).isFalse();
        assertThat(ProtocolHint.H2.isMeshed()).isTrue();
    }

    private static EndpointSet randomSet(SplittableRandom random) {
        int kind = random.nextInt(5);
        if (kind == 0) {
            return EndpointSet.empty();
        }
        if (kind == 1) {
            return EndpointSet.empty().apply(new EndpointUpdate.NoEndpoints(true));
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            if (random.nextBoolean()) {
                endpoints.add(Endpoint.builder(Authority.of("10.0.0." + i, 80))
                        .weight(1 + random.nextInt(3))
                        .protocolHint(random.nextBoolean() ? ProtocolHint.H2 : ProtocolHint.UNKNOWN)
                        .build());
            }
        }
        return endpoints.isEmpty() ? EndpointSet.empty().apply(new EndpointUpdate.NoEndpoints(true))
                : EndpointSet.of(endpoints);
    }
}
