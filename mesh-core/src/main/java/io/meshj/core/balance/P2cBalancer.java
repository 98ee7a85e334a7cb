package io.meshj.core.balance;

import static java.util.Objects.requireNonNull;

import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.name.Authority;
import io.meshj.core.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.meshj.core.internal.ThreadLocalRandoms;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Picks an endpoint by the power of two choices (P2C) over peak-EWMA load, honouring weights and
 * failure accrual.
 *
 * <h2>The pick</h2>
 * Mitzenmacher's "The Power of Two Choices in Randomized Load Balancing" (2001) shows that sampling two
 * endpoints at random and taking the less loaded one brings the maximum load down exponentially
 * compared with one random choice, while costing O(1) and needing no global ordering — so, unlike
 * least-loaded, many balancers picking at once do not herd onto the same endpoint. Finagle's
 * {@code P2CPeakEwma} and Linkerd's proxy (tower's {@code p2c::Balance}) pair it with the peak-EWMA load
 * described in {@link BalancedEndpoint}. Two distinct endpoints are sampled; the one with the lower
 * load wins.
 *
 * <h2>Weights</h2>
 * Comparing load divided by weight only honours weights under sustained concurrency, where queue depth
 * dominates the load; with few requests in flight the heavier endpoint would simply always win. Weights
 * are therefore applied the way Finagle's {@code TrafficDistributor} does: endpoints are grouped into
 * classes of equal weight, a class is drawn with probability proportional to {@code weight × size},
 * and P2C runs within the class. With equal weights (the common case) there is one class and this is
 * plain P2C; with a canary at weight 1 beside weight 9 the split is 10/90 whatever the latencies.
 *
 * <h2>Failing endpoints</h2>
 * A candidate that failure accrual skips loses to any other; if both candidates are skipped the pick is
 * retried up to five times (Finagle's "max effort"), then the available endpoints are found by a scan,
 * so a failing endpoint never gets traffic while another could take it. An endpoint due for its probe
 * wins its comparison, so it is probed at its first chance. If every endpoint is failing, the balancer
 * picks one anyway by load.
 *
 * <h2>Retries</h2>
 * A retry of a request whose attempt just failed at one endpoint {@link #pick(Authority) avoids} that
 * endpoint as failure accrual skips one (Envoy's {@code previous_hosts} retry predicate): an endpoint
 * that fails fast looks cheap to peak-EWMA, and with few endpoints P2C would hand the retry straight
 * back to it. With no other endpoint available, the retry goes there anyway.
 *
 * <h2>Threading</h2>
 * {@link #pick()} is lock-free apart from the two candidates' monitors and may run on any number of
 * threads; {@link #update} swaps an immutable snapshot and keeps the state (latency, failures) of
 * endpoints that stay. Time and randomness are injected for deterministic tests.
 */
public final class P2cBalancer {

    private static final int MAX_EFFORT = 5;

    private final Ticker ticker;
    private final RandomGenerator random;
    private final long defaultRttNanos;
    private final long decayNanos;
    private final FailureAccrual accrual;
    private volatile Snapshot snapshot = Snapshot.EMPTY;

    private P2cBalancer(Builder b) {
        this.ticker = b.ticker;
        this.random = b.random;
        this.defaultRttNanos = b.defaultRtt.toNanos();
        this.decayNanos = b.decay.toNanos();
        this.accrual = b.failureAccrual;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Replaces the endpoints; those that remain keep their latency estimate and failure state. */
    public synchronized void update(EndpointSet endpoints) {
        update(requireNonNull(endpoints, "endpoints").endpoints());
    }

    /** Replaces the endpoints; those that remain keep their latency estimate and failure state. */
    public synchronized void update(Collection<Endpoint> endpoints) {
        requireNonNull(endpoints, "endpoints");
        Map<Authority, BalancedEndpoint> previous = new HashMap<>();
        for (BalancedEndpoint e : snapshot.all) {
            previous.put(e.endpoint().address(), e);
        }
        List<BalancedEndpoint> all = new ArrayList<>(endpoints.size());
        for (Endpoint endpoint : endpoints) {
            BalancedEndpoint be = previous.get(endpoint.address());
            if (be == null) {
                be = new BalancedEndpoint(endpoint, ticker, defaultRttNanos, decayNanos, accrual);
            } else {
                be.setEndpoint(endpoint);
            }
            all.add(be);
        }
        snapshot = Snapshot.of(all);
    }

    /**
     * Picks an endpoint for one request and counts the request as pending on it; the caller must
     * report the request's outcome on the returned {@link Pick}.
     *
     * @return the pick, or {@code null} when there are no endpoints at all
     */
    public Pick pick() {
        return pick(null);
    }

    /**
     * As {@link #pick()}, for a retry: the endpoint at {@code avoid} (the one the request just failed
     * at) is skipped as a failing one is, so it gets the request only when no other endpoint may.
     *
     * @param avoid an endpoint's address, or null to avoid none
     * @return the pick, or {@code null} when there are no endpoints at all
     */
    public Pick pick(Authority avoid) {
        Snapshot s = snapshot;
        if (s.all.length == 0) {
            return null;
        }
        long now = ticker.nanoTime();
        for (int effort = 0; effort < MAX_EFFORT; effort++) {
            BalancedEndpoint[] members = s.classes[s.drawClass(random)];
            BalancedEndpoint winner = choose(members, members.length, now, false, avoid);
            Pick pick = winner == null ? null : winner.tryAcquire(now, false);
            if (pick != null) {
                return pick;
            }
        }
        return pickSlowly(s, now, avoid);
    }

    /** The current endpoints, in discovery order. */
    public List<BalancedEndpoint> endpoints() {
        return List.of(snapshot.all);
    }

    /**
     * The better of two distinct random members among the first {@code n}: by failure-accrual score
     * (the member at {@code avoid} scoring as a skipped one), or, with {@code ignoreAccrual}, by load
     * alone. Null if neither may take a request.
     */
    private BalancedEndpoint choose(BalancedEndpoint[] members, int n, long now, boolean ignoreAccrual, Authority avoid) {
        if (n == 1) {
            return ignoreAccrual || score(members[0], now, avoid) != Double.POSITIVE_INFINITY ? members[0] : null;
        }
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
            j++;
        }
        BalancedEndpoint a = members[i];
        BalancedEndpoint b = members[j];
        double sa = ignoreAccrual ? a.loadIgnoringAccrual(now) : score(a, now, avoid);
        double sb = ignoreAccrual ? b.loadIgnoringAccrual(now) : score(b, now, avoid);
        if (sa == Double.POSITIVE_INFINITY && sb == Double.POSITIVE_INFINITY) {
            return null;
        }
        return sb < sa ? b : a;
    }

    private static double score(BalancedEndpoint e, long now, Authority avoid) {
        return avoid != null && avoid.equals(e.endpoint().address()) ? Double.POSITIVE_INFINITY : e.score(now);
    }

    /**
     * The rare path: several draws found nothing available. Scan for available endpoints and pick
     * among them by weight class and P2C; if none, pick anyway by load.
     */
    private Pick pickSlowly(Snapshot s, long now, Authority avoid) {
        int classes = s.classes.length;
        BalancedEndpoint[][] available = new BalancedEndpoint[classes][];
        int[] counts = new int[classes];
        long[] cumulative = new long[classes];
        long total = 0;
        for (int c = 0; c < classes; c++) {
            BalancedEndpoint[] members = s.classes[c];
            available[c] = new BalancedEndpoint[members.length];
            for (BalancedEndpoint e : members) {
                if (score(e, now, avoid) != Double.POSITIVE_INFINITY) {
                    available[c][counts[c]++] = e;
                }
            }
            total += (long) s.weights[c] * counts[c];
            cumulative[c] = total;
        }
        if (total > 0) {
            int c = Snapshot.search(cumulative, random.nextLong(total));
            BalancedEndpoint winner = choose(available[c], counts[c], now, false, avoid);
            Pick pick = winner == null ? null : winner.tryAcquire(now, false);
            if (pick != null) {
                return pick;
            }
        }
        if (avoid != null) {
            // No other endpoint may take it: the avoided one, if failure accrual allows, as for any pick.
            return pickSlowly(s, now, null);
        }
        // Every endpoint is failing (or the last available one was taken concurrently): pick anyway.
        BalancedEndpoint[] members = s.classes[s.drawClass(random)];
        return choose(members, members.length, now, true, null).tryAcquire(now, true);
    }

    /** The endpoints grouped into weight classes, with cumulative class weights for the draw. */
    private static final class Snapshot {
        static final Snapshot EMPTY = new Snapshot(new BalancedEndpoint[0], new BalancedEndpoint[0][], new int[0],
                new long[0]);

        final BalancedEndpoint[] all;
        final BalancedEndpoint[][] classes;
        final int[] weights;
        final long[] cumulative;

        private Snapshot(BalancedEndpoint[] all, BalancedEndpoint[][] classes, int[] weights, long[] cumulative) {
            this.all = all;
            this.classes = classes;
            this.weights = weights;
            this.cumulative = cumulative;
        }

        static Snapshot of(List<BalancedEndpoint> endpoints) {
            if (endpoints.isEmpty()) {
                return EMPTY;
            }
            TreeMap<Integer, List<BalancedEndpoint>> byWeight = new TreeMap<>();
            for (BalancedEndpoint e : endpoints) {
                byWeight.computeIfAbsent(e.endpoint().weight(), w -> new ArrayList<>()).add(e);
            }
            BalancedEndpoint[][] classes = new BalancedEndpoint[byWeight.size()][];
            int[] weights = new int[byWeight.size()];
            long[] cumulative = new long[byWeight.size()];
            long total = 0;
            int c = 0;
            for (Map.Entry<Integer, List<BalancedEndpoint>> e : byWeight.entrySet()) {
                classes[c] = e.getValue().toArray(new BalancedEndpoint[0]);
                weights[c] = e.getKey();
                total += (long) e.getKey() * classes[c].length;
                cumulative[c] = total;
                c++;
            }
            return new Snapshot(endpoints.toArray(new BalancedEndpoint[0]), classes, weights, cumulative);
        }

        int drawClass(RandomGenerator random) {
            if (classes.length == 1) {
                return 0;
            }
            return search(cumulative, random.nextLong(cumulative[cumulative.length - 1]));
        }

        /** The first index whose cumulative weight exceeds {@code r}. */
        static int search(long[] cumulative, long r) {
            int lo = 0;
            int hi = cumulative.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cumulative[mid] > r) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo;
        }
    }

    /** Builds a {@link P2cBalancer}. */
    public static final class Builder {
        private Ticker ticker = Ticker.system();
        private RandomGenerator random = ThreadLocalRandoms.PER_THREAD;
        private Duration defaultRtt = Duration.ofMillis(30);
        private Duration decay = Duration.ofSeconds(10);
        private FailureAccrual failureAccrual = FailureAccrual.defaults();

        private Builder() {
        }

        public Builder ticker(Ticker ticker) {
            this.ticker = requireNonNull(ticker, "ticker");
            return this;
        }

        /** The random source for sampling; default {@link ThreadLocalRandom} (safe from any thread). */
        public Builder random(RandomGenerator random) {
            this.random = requireNonNull(random, "random");
            return this;
        }

        /** The cost of an endpoint before its first response; default 30 ms (Linkerd's). */
        public Builder defaultRtt(Duration defaultRtt) {
            requireNonNull(defaultRtt, "defaultRtt");
            if (defaultRtt.isNegative()) {
                throw new IllegalArgumentException("defaultRtt " + defaultRtt + " is negative");
            }
            this.defaultRtt = defaultRtt;
            return this;
        }

        /** The EWMA time constant; default 10 s (Linkerd's). */
        public Builder decay(Duration decay) {
            requireNonNull(decay, "decay");
            if (decay.isNegative() || decay.isZero()) {
                throw new IllegalArgumentException("decay " + decay + " must be positive");
            }
            this.decay = decay;
            return this;
        }

        public Builder failureAccrual(FailureAccrual failureAccrual) {
            this.failureAccrual = requireNonNull(failureAccrual, "failureAccrual");
            return this;
        }

        public P2cBalancer build() {
            return new P2cBalancer(this);
        }
    }
}
