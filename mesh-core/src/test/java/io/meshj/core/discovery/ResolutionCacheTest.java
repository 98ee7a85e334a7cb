package io.meshj.core.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.name.Authority;
import io.meshj.core.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResolutionCacheTest {

    private static final Authority WEB = Authority.parse("web.default.svc.cluster.local:80");
    private static final Authority API = Authority.parse("api.default.svc.cluster.local:80");

    private final FakeTicker ticker = new FakeTicker();
    private final FakeDiscoverySource source = new FakeDiscoverySource();
    private final ResolutionCache cache = ResolutionCache.builder(source)
            .idleTimeout(Duration.ofSeconds(60))
            .ticker(ticker)
            .build();

    @Test
    void sharesOneWatchPerName() {
        source.set(WEB, EndpointSet.of(List.of(Endpoint.of("10.0.0.1:80"))));
        Resolution first = cache.resolve(WEB);
        Resolution second = cache.resolve(WEB);
        assertThat(second).isSameAs(first);
        assertThat(source.watchesStarted()).isEqualTo(1);
        assertThat(first.isResolved()).isTrue();
        assertThat(first.endpoints().endpoints()).containsExactly(Endpoint.of("10.0.0.1:80"));
    }

    @Test
    void subscribersGetTheCurrentStateThenEveryChange() {
        Resolution r = cache.resolve(WEB);
        assertThat(r.endpoints().exists()).isFalse();
        List<EndpointSet> seen = new ArrayList<>();
        Watch subscription = cache.subscribe(WEB, seen::add);
        assertThat(seen).hasSize(1); // the current state, right away

        EndpointSet two = EndpointSet.of(List.of(Endpoint.of("10.0.0.1:80"), Endpoint.of("10.0.0.2:80")));
        source.set(WEB, two);
        assertThat(r.endpoints()).isEqualTo(two);
        assertThat(seen).last().isEqualTo(two);

        subscription.close();
        source.set(WEB, EndpointSet.of(List.of(Endpoint.of("10.0.0.3:80"))));
        assertThat(seen).hasSize(2);
    }

    @Test
    void subscribedNamesAreNeverEvictedAndIdleOutAfterUnsubscribing() {
        List<EndpointSet> seen = new ArrayList<>();
        Watch subscription = cache.subscribe(WEB, seen::add);
        ticker.advance(Duration.ofHours(2));
        cache.cleanUp();
        assertThat(source.openWatches(WEB)).isEqualTo(1);

        // Still following changes after hours without a single resolve().
        source.set(WEB, EndpointSet.of(List.of(Endpoint.of("10.0.0.9:80"))));
        assertThat(seen).last().satisfies(s -> assertThat(s.endpoints()).containsExactly(Endpoint.of("10.0.0.9:80")));

        subscription.close();
        ticker.advance(Duration.ofSeconds(59));
        cache.cleanUp();
        assertThat(source.openWatches(WEB)).isEqualTo(1);
        ticker.advance(Duration.ofSeconds(1));
        cache.cleanUp();
        assertThat(source.openWatches(WEB)).isZero();
    }

    @Test
    void aThrowingSubscriberDoesNotStarveTheOthers() {
        List<EndpointSet> seen = new ArrayList<>();
        cache.subscribe(WEB, s -> {
            throw new IllegalStateException("broken subscriber");
        });
        cache.subscribe(WEB, seen::add);
        source.set(WEB, EndpointSet.of(List.of(Endpoint.of("10.0.0.1:80"))));
        source.set(WEB, EndpointSet.of(List.of(Endpoint.of("10.0.0.2:80"))));
        assertThat(seen).last().satisfies(s -> assertThat(s.endpoints()).containsExactly(Endpoint.of("10.0.0.2:80")));
    }

    @Test
    void evictsIdleResolutionsAndClosesTheirWatch() {
        Resolution web = cache.resolve(WEB);
        cache.resolve(API);
        assertThat(source.openWatches(WEB)).isEqualTo(1);

        // API stays in use; WEB is not resolved again.
        for (int i = 0; i < 6; i++) {
            ticker.advance(Duration.ofSeconds(15));
            cache.resolve(API);
        }
        cache.cleanUp();

        assertThat(cache.size()).isEqualTo(1);
        assertThat(web.isClosed()).isTrue();
        assertThat(source.openWatches(WEB)).isZero();
        assertThat(source.openWatches(API)).isEqualTo(1);

        // An evicted name is resolved afresh, with a new watch.
        Resolution again = cache.resolve(WEB);
        assertThat(again).isNotSameAs(web);
        assertThat(source.openWatches(WEB)).isEqualTo(1);
        assertThat(source.watchesStarted()).isEqualTo(3);
    }

    @Test
    void notEvictedBeforeTheIdleTimeout() {
        Resolution web = cache.resolve(WEB);
        ticker.advance(Duration.ofSeconds(59));
        cache.cleanUp();
        assertThat(web.isClosed()).isFalse();
        assertThat(cache.resolve(WEB)).isSameAs(web);
    }

    @Test
    void closeClosesEveryWatch() {
        cache.resolve(WEB);
        cache.resolve(API);
        cache.close();
        assertThat(source.openWatches(WEB)).isZero();
        assertThat(source.openWatches(API)).isZero();
    }
}
