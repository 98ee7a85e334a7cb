package io.meshj.core.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.name.Authority;
import io.meshj.core.retry.ExponentialBackoff;
import io.meshj.core.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deterministic properties of the balancer: simulated time (a {@link FakeTicker}), seeded randomness,
 * and simulated requests whose latency each test chooses.
 */
class P2cBalancerTest {

    private static final long MS = 1_000_000L;

    private final FakeTicker ticker = new FakeTicker();

    private P2cBalancer balancer(long seed, FailureAccrual accrual) {
        return P2cBalancer.builder()
                .ticker(ticker)
                .random(new SplittableRandom(seed))
                .failureAccrual(accrual)
                .build();
    }

    private static Endpoint endpoint(int i, int weight) {
        return Endpoint.builder(Authority.of("10.0.0." + i, 8080)).weight(weight).build();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 1234})
    void sequentialTrafficPrefersTheTenTimesFasterEndpoint(long seed) {
        P2cBalancer b = balancer(seed, FailureAccrual.disabled());
        Endpoint fast = endpoint(1, Endpoint.DEFAULT_WEIGHT);
        Endpoint slow = endpoint(2, Endpoint.DEFAULT_WEIGHT);
        b.update(List.of(fast, slow));

        Map<Endpoint, Integer> counts = runSequential(b, 10_000, e -> e.equals(fast) ? 1 * MS : 10 * MS);
        assertThat(share(counts, fast)).isGreaterThanOrEqualTo(0.90);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void concurrentTrafficPrefersTheTenTimesFasterEndpoint(long seed) {
        P2cBalancer b = balancer(seed, FailureAccrual.disabled());
        List<Endpoint> endpoints = List.of(endpoint(1, Endpoint.DEFAULT_WEIGHT), endpoint(2, Endpoint.DEFAULT_WEIGHT));
        b.update(endpoints);

        Map<Endpoint, Integer> counts = runConcurrent(b, 4, 20_000,
                e -> e.equals(endpoints.get(0)) ? 1 * MS : 10 * MS);
        assertThat(share(counts, endpoints.get(0))).isGreaterThanOrEqualTo(0.90);
    }

    @Test
    void manyEndpointsShareEvenlyAtEqualLatency() {
        P2cBalancer b = balancer(5, FailureAccrual.disabled());
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            endpoints.add(endpoint(i, Endpoint.DEFAULT_WEIGHT));
        }
        b.update(endpoints);
        Map<Endpoint, Integer> counts = runConcurrent(b, 8, 100_000, e -> 5 * MS);
        for (Endpoint e : endpoints) {
            assertThat(share(counts, e)).isCloseTo(0.10, within(0.005));
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13})
    void equalLatencySplitFollowsTheWeights(long seed) {
        P2cBalancer b = balancer(seed, FailureAccrual.disabled());
        // Weights 1:1:2:6 -> expected shares 10 %, 10 %, 20 %, 60 %.
        List<Endpoint> endpoints = List.of(endpoint(1, 1_000), endpoint(2, 1_000), endpoint(3, 2_000), endpoint(4, 6_000));
        b.update(endpoints);

        Map<Endpoint, Integer> sequential = runSequential(b, 100_000, e -> 5 * MS);
        Map<Endpoint, Integer> concurrent = runConcurrent(b, 8, 100_000, e -> 5 * MS);
        double[] expected = {0.1, 0.1, 0.2, 0.6};
        for (int i = 0; i < endpoints.size(); i++) {
            // Within 5 % of each weight's share.
            assertThat(share(sequential, endpoints.get(i))).isCloseTo(expected[i], within(expected[i] * 0.05));
            assertThat(share(concurrent, endpoints.get(i))).isCloseTo(expected[i], within(expected[i] * 0.05));
        }
    }

    @Test
    void failingEndpointIsSkippedAfterTheSeventhFailureAndProbedOncePerBackoff() {
        P2cBalancer b = balancer(3, FailureAccrual.consecutiveFailures(7,
                ExponentialBackoff.builder().min(Duration.ofSeconds(1)).max(Duration.ofSeconds(60)).jitter(0).build()));
        Endpoint bad = endpoint(1, Endpoint.DEFAULT_WEIGHT);
        Endpoint good = endpoint(2, Endpoint.DEFAULT_WEIGHT);
        b.update(List.of(bad, good));
        runSequential(b, 1_000, e -> MS); // both healthy and warmed up

        // From now on `bad` fails every request. Record when it gets requests.
        List<Long> badRequests = new ArrayList<>();
        boolean[] badFails = {true};
        long start = ticker.nanoTime();
        long trippedAt = -1;
        while (ticker.nanoTime() - start < 10_000 * MS) {
            Pick e = b.pick();
            ticker.advanceNanos(MS);
            if (e.endpoint().equals(bad)) {
                badRequests.add(ticker.nanoTime() - start);
                if (badFails[0]) {
                    e.onFailure(MS);
                } else {
                    e.onSuccess(MS);
                }
                // Skipped from the 7th consecutive failure on, not before.
                if (badRequests.size() == 6) {
                    assertThat(b.endpoints().get(0).isFailing()).isFalse();
                } else if (badRequests.size() == 7) {
                    assertThat(b.endpoints().get(0).isFailing()).isTrue();
                    trippedAt = badRequests.get(6);
                }
                // Every request after the 7th is a probe.
                assertThat(e.isProbe()).isEqualTo(badRequests.size() > 7);
            } else {
                e.onSuccess(MS);
            }
        }
        assertThat(trippedAt).isPositive();
        long trip = trippedAt;
        List<Long> afterTrip = badRequests.subList(7, badRequests.size());
        // Backoffs of 1 s, then 2 s, then 4 s: exactly one probe at the end of each.
        assertThat(afterTrip).hasSize(3);
        assertThat(afterTrip.get(0) - trip).isBetween(1_000 * MS, 1_001 * MS);
        assertThat(afterTrip.get(1) - afterTrip.get(0)).isBetween(2_000 * MS, 2_001 * MS);
        assertThat(afterTrip.get(2) - afterTrip.get(1)).isBetween(4_000 * MS, 4_001 * MS);
        assertThat(b.endpoints().get(0).isFailing()).isTrue();

        // A successful probe (due about 5 s from now) restores it, and as its latency estimate and the
        // other endpoint's converge (the 10 s decay) it wins back a fair part of the traffic.
        badFails[0] = false;
        Map<Endpoint, Integer> after = runSequential(b, 30_000, e -> MS);
        assertThat(after.getOrDefault(bad, 0)).isGreaterThan(3_000);
        assertThat(b.endpoints().get(0).isFailing()).isFalse();
    }

    @Test
    void outcomesOfRequestsFromBeforeTheTripDoNotDisturbTheProbe() {
        P2cBalancer b = balancer(8, FailureAccrual.consecutiveFailures(2,
                ExponentialBackoff.builder().min(Duration.ofSeconds(1)).max(Duration.ofSeconds(60)).jitter(0).build()));
        b.update(List.of(endpoint(1, 1)));
        BalancedEndpoint e = b.endpoints().get(0);
        // Four requests in flight; two fail and trip the endpoint while two are still out.
        Pick[] early = {b.pick(), b.pick(), b.pick(), b.pick()};
        early[0].onFailure(MS);
        early[1].onFailure(MS);
        assertThat(e.isFailing()).isTrue();

        ticker.advance(Duration.ofSeconds(1));
        Pick probe = b.pick();
        assertThat(probe.isProbe()).isTrue();
        // While the probe is out, the early requests finish: a cancel must not allow a second probe,
        // and a failure must not stretch the backoff.
        early[2].onCancel();
        early[3].onFailure(MS);
        Pick next = b.pick(); // the only endpoint, forced: not a second probe
        assertThat(next.isProbe()).isFalse();
        next.onCancel();
        probe.onFailure(MS);
        // Backoff #2 (2 s) counts from the probe's failure, not from the early failure.
        ticker.advance(Duration.ofMillis(1_999));
        assertThat(b.pick().isProbe()).isFalse();
        ticker.advance(Duration.ofMillis(1));
        Pick secondProbe = b.pick();
        assertThat(secondProbe.isProbe()).isTrue();
        secondProbe.onSuccess(MS);
        assertThat(e.isFailing()).isFalse();
    }

    @Test
    void disabledAccrualNeverSkips() {
        P2cBalancer b = balancer(1, FailureAccrual.disabled());
        b.update(List.of(endpoint(1, 1), endpoint(2, 1)));
        for (int i = 0; i < 10_000; i++) {
            b.pick().onFailure(MS);
        }
        assertThat(b.endpoints()).noneMatch(BalancedEndpoint::isFailing);
    }

    @Test
    void failingEndpointGetsNothingWhileOthersCanServe() {
        // With ten endpoints random sampling often draws two failing ones; the scan still avoids them.
        P2cBalancer b = balancer(9, FailureAccrual.consecutiveFailures(1,
                ExponentialBackoff.builder().min(Duration.ofHours(1)).max(Duration.ofHours(1)).jitter(0).build()));
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            endpoints.add(endpoint(i, Endpoint.DEFAULT_WEIGHT));
        }
        b.update(endpoints);
        // Trip nine of them.
        for (BalancedEndpoint e : b.endpoints().subList(0, 9)) {
            e.tryAcquire(ticker.nanoTime(), true).onFailure(MS);
        }
        Map<Endpoint, Integer> counts = runSequential(b, 10_000, e -> MS);
        assertThat(counts).containsOnlyKeys(endpoints.get(9));
    }

    @Test
    void picksAnywayWhenEveryEndpointIsFailing() {
        P2cBalancer b = balancer(4, FailureAccrual.consecutiveFailures(1,
                ExponentialBackoff.builder().min(Duration.ofHours(1)).max(Duration.ofHours(1)).jitter(0).build()));
        b.update(List.of(endpoint(1, 1), endpoint(2, 1)));
        for (BalancedEndpoint e : b.endpoints()) {
            e.tryAcquire(ticker.nanoTime(), true).onFailure(MS);
        }
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < 1_000; i++) {
            Pick e = b.pick();
            assertThat(e).isNotNull();
            counts.merge(e.endpoint(), 1, Integer::sum);
            e.onFailure(MS);
        }
        assertThat(counts).hasSize(2);
        // A success while every endpoint fails restores that endpoint.
        Pick e = b.pick();
        e.onSuccess(MS);
        assertThat(e.balancedEndpoint().isFailing()).isFalse();
    }

    @Test
    void aRetryAvoidsTheEndpointItFailedAtEvenWhenThatOneLooksCheaper() {
        P2cBalancer b = balancer(3, FailureAccrual.defaults());
        Endpoint fastFailing = endpoint(1, Endpoint.DEFAULT_WEIGHT);
        Endpoint slow = endpoint(2, Endpoint.DEFAULT_WEIGHT);
        b.update(List.of(fastFailing, slow));
        // The other endpoint answers in 50 ms, the failing one fails at once, so it is the cheaper of the
        // two, and P2C over two endpoints (both always sampled) hands it every request.
        b.endpoints().get(1).tryAcquire(ticker.nanoTime(), false).onSuccess(50 * MS);
        ticker.advance(Duration.ofSeconds(1));
        Pick first = b.pick();
        assertThat(first.endpoint()).isEqualTo(fastFailing);
        first.onFailure(0);
        Pick again = b.pick();
        assertThat(again.endpoint()).as("without avoiding it").isEqualTo(fastFailing);
        again.onFailure(0);

        for (int i = 0; i < 100; i++) {
            Pick retry = b.pick(fastFailing.address());
            assertThat(retry.endpoint()).isEqualTo(slow);
            retry.onCancel();
        }
    }

    @Test
    void aRetryGoesBackToTheEndpointItFailedAtWhenNoOtherMayTakeIt() {
        P2cBalancer b = balancer(4, FailureAccrual.consecutiveFailures(1,
                ExponentialBackoff.builder().min(Duration.ofHours(1)).max(Duration.ofHours(1)).jitter(0).build()));
        Endpoint only = endpoint(1, 1);
        Endpoint tripped = endpoint(2, 1);
        b.update(List.of(only, tripped));
        b.endpoints().get(1).tryAcquire(ticker.nanoTime(), true).onFailure(MS);

        for (int i = 0; i < 100; i++) {
            Pick retry = b.pick(only.address());
            assertThat(retry.endpoint()).as("healthy, if avoided, beats skipped").isEqualTo(only);
            retry.onCancel();
        }
        b.update(List.of(only));
        assertThat(b.pick(only.address()).endpoint()).as("the one endpoint there is").isEqualTo(only);
    }

    @Test
    void aHeavierClassThatIsFailingSendsItsShareElsewhere() {
        P2cBalancer b = balancer(6, FailureAccrual.consecutiveFailures(1,
                ExponentialBackoff.builder().min(Duration.ofHours(1)).max(Duration.ofHours(1)).jitter(0).build()));
        Endpoint heavy = endpoint(1, 9_000);
        Endpoint light = endpoint(2, 1_000);
        b.update(List.of(heavy, light));
        BalancedEndpoint heavyState = b.endpoints().get(0);
        heavyState.tryAcquire(ticker.nanoTime(), true).onFailure(MS);
        assertThat(runSequential(b, 1_000, e -> MS)).containsOnlyKeys(light);
    }

    @Test
    void pendingRequestsRaiseTheLoad() {
        P2cBalancer b = balancer(1, FailureAccrual.disabled());
        b.update(List.of(endpoint(1, 1)));
        Pick first = b.pick();
        BalancedEndpoint e = first.balancedEndpoint();
        double oneInFlight = e.load();
        assertThat(e.pending()).isEqualTo(1);
        Pick second = b.pick();
        assertThat(e.pending()).isEqualTo(2);
        assertThat(e.load()).isCloseTo(oneInFlight * 3 / 2, within(oneInFlight * 0.01));
        first.onCancel();
        first.onSuccess(MS); // a second report of one pick is ignored
        assertThat(e.pending()).isEqualTo(1);
        second.onSuccess(MS);
        assertThat(e.pending()).isZero();
    }

    @Test
    void peakEwmaJumpsToPeaksAndDecaysTowardsObservations() {
        P2cBalancer b = balancer(1, FailureAccrual.disabled());
        b.update(List.of(endpoint(1, 1)));
        BalancedEndpoint e = b.endpoints().get(0);
        // Unmeasured: the default RTT of 30 ms.
        assertThat(e.load()).isCloseTo(30 * MS, within(1.0));
        // A peak above the estimate replaces it at once.
        b.pick().onSuccess(100 * MS);
        assertThat(e.load()).isCloseTo(100 * MS, within(1.0));
        // Fast responses pull it down gradually: after one decay period (10 s) of 1 ms responses
        // every 10 ms the estimate is about 1/e of the way from 100 ms to 1 ms... and keeps falling.
        for (int i = 0; i < 1_000; i++) {
            Pick p = b.pick();
            ticker.advanceMillis(10);
            p.onSuccess(MS);
        }
        double afterOneDecay = e.load();
        assertThat(afterOneDecay).isBetween(20.0 * MS, 50.0 * MS);
        for (int i = 0; i < 5_000; i++) {
            Pick p = b.pick();
            ticker.advanceMillis(10);
            p.onSuccess(MS);
        }
        assertThat(e.load()).isBetween(0.5 * MS, 2.0 * MS);
    }

    @Test
    void idleEstimateDecaysSoASlowEndpointIsRetried() {
        P2cBalancer b = balancer(1, FailureAccrual.disabled());
        b.update(List.of(endpoint(1, 1)));
        Pick p = b.pick();
        p.onSuccess(1_000 * MS);
        BalancedEndpoint e = p.balancedEndpoint();
        ticker.advance(Duration.ofSeconds(60));
        assertThat(e.load()).isLessThan(1_000 * MS * Math.exp(-5.9));
    }

    @Test
    void updatesKeepTheStateOfEndpointsThatStay() {
        P2cBalancer b = balancer(1, FailureAccrual.disabled());
        Endpoint a = endpoint(1, 1);
        b.update(List.of(a, endpoint(2, 1)));
        BalancedEndpoint stateOfA = b.endpoints().get(0);
        stateOfA.tryAcquire(ticker.nanoTime(), true).onSuccess(500 * MS);

        Endpoint reweighted = a.toBuilder().weight(5).build();
        b.update(List.of(endpoint(3, 1), reweighted));
        assertThat(b.endpoints()).hasSize(2);
        BalancedEndpoint kept = b.endpoints().get(1);
        assertThat(kept).isSameAs(stateOfA);
        assertThat(kept.endpoint().weight()).isEqualTo(5);
        assertThat(kept.load()).isGreaterThan(400.0 * MS);

        b.update(List.of());
        assertThat(b.pick()).isNull();
    }

    private Map<Endpoint, Integer> runSequential(P2cBalancer b, int requests, ToLongFunction<Endpoint> latency) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < requests; i++) {
            Pick e = b.pick();
            long rtt = latency.applyAsLong(e.endpoint());
            ticker.advanceNanos(rtt);
            e.onSuccess(rtt);
            counts.merge(e.endpoint(), 1, Integer::sum);
        }
        return counts;
    }

    /**
     * A discrete-event simulation of {@code concurrency} clients, each sending its next request as soon
     * as the previous one completes, so picks happen while other requests are pending.
     */
    private Map<Endpoint, Integer> runConcurrent(P2cBalancer b, int concurrency, int requests,
            ToLongFunction<Endpoint> latency) {
        record InFlight(long doneAt, long rtt, Pick endpoint) {
        }
        PriorityQueue<InFlight> queue = new PriorityQueue<>((x, y) -> Long.compare(x.doneAt, y.doneAt));
        Map<Endpoint, Integer> counts = new HashMap<>();
        int sent = 0;
        for (; sent < concurrency; sent++) {
            Pick e = b.pick();
            long rtt = latency.applyAsLong(e.endpoint());
            queue.add(new InFlight(ticker.nanoTime() + rtt, rtt, e));
            counts.merge(e.endpoint(), 1, Integer::sum);
        }
        while (!queue.isEmpty()) {
            InFlight done = queue.poll();
            ticker.advanceNanos(done.doneAt - ticker.nanoTime());
            done.endpoint.onSuccess(done.rtt);
            if (sent < requests) {
                Pick e = b.pick();
                long rtt = latency.applyAsLong(e.endpoint());
                queue.add(new InFlight(ticker.nanoTime() + rtt, rtt, e));
                counts.merge(e.endpoint(), 1, Integer::sum);
                sent++;
            }
        }
        return counts;
    }

    private static double share(Map<Endpoint, Integer> counts, Endpoint e) {
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        return (double) counts.getOrDefault(e, 0) / total;
    }
}
