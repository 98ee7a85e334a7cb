package io.meshj.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The math behind {@code meshj stat}, from two scrapes of the same proxies some seconds apart — what a
 * Prometheus server would compute with {@code rate()} and {@code histogram_quantile()}, done here so
 * that stat works without one:
 *
 * <ul>
 *   <li>success rate = successes / (successes + failures), from {@code response_total}'s
 *       {@code classification};</li>
 *   <li>RPS = responses in the window / its length;</li>
 *   <li>latency quantiles from the window's {@code response_latency_ms} bucket counts, interpolated
 *       linearly inside the bucket, as {@code histogram_quantile} does;</li>
 *   <li>TCP connections = open connections at the end.</li>
 * </ul>
 *
 * A counter that went down between the scrapes (a proxy restarted) counts from zero, as {@code rate()}
 * treats a reset.
 */
public final class Stats {

    /** The stat of some traffic over a window; quantiles and success rate are NaN without responses. */
    public record Summary(double successes, double failures, double rps, double p50, double p95, double p99,
            double tcpConnections) {

        public double successRate() {
            double total = successes + failures;
            return total == 0 ? Double.NaN : successes / total;
        }
    }

    private Stats() {
    }

    /**
     * Summarizes the series that {@code filter} accepts (e.g. inbound traffic of one deployment's pods).
     *
     * @param before the samples of the first scrape (of every proxy concerned)
     * @param after those of the second
     * @param seconds the time between them
     */
    public static Summary summarize(List<Sample> before, List<Sample> after, double seconds, Predicate<Sample> filter) {
        Map<Series, Double> earlier = new HashMap<>();
        for (Sample s : before) {
            if (filter.test(s)) {
                earlier.put(new Series(s), s.value());
            }
        }
        double successes = 0;
        double failures = 0;
        double tcp = 0;
        Map<Double, Double> buckets = new TreeMap<>();
        for (Sample s : after) {
            if (!filter.test(s)) {
                continue;
            }
            switch (s.name()) {
                case "response_total" -> {
                    double d = delta(earlier, s);
                    if ("failure".equals(s.label("classification"))) {
                        failures += d;
                    } else {
                        successes += d;
                    }
                }
                case "response_latency_ms_bucket" -> {
                    String le = s.label("le");
                    if (le != null) {
                        double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                        buckets.merge(bound, delta(earlier, s), Double::sum);
                    }
                }
                case "tcp_open_connections" -> tcp += s.value();
                default -> {
                }
            }
        }
        double rps = seconds > 0 ? (successes + failures) / seconds : Double.NaN;
        return new Summary(successes, failures, rps, quantile(0.5, buckets), quantile(0.95, buckets),
                quantile(0.99, buckets), tcp);
    }

    /**
     * How much the counters that {@code filter} accepts grew between the scrapes, summed (Prometheus's
     * {@code increase()} of each series, a reset counting from zero), e.g. the bytes of
     * {@code tcp_read_bytes_total}.
     */
    public static double increase(List<Sample> before, List<Sample> after, Predicate<Sample> filter) {
        Map<Series, Double> earlier = new HashMap<>();
        for (Sample s : before) {
            if (filter.test(s)) {
                earlier.put(new Series(s), s.value());
            }
        }
        double sum = 0;
        for (Sample s : after) {
            if (filter.test(s)) {
                sum += delta(earlier, s);
            }
        }
        return sum;
    }

    private static double delta(Map<Series, Double> earlier, Sample s) {
        Double b = earlier.get(new Series(s));
        if (b == null || s.value() < b) {
            return s.value(); // new since the first scrape, or reset
        }
        return s.value() - b;
    }

    /**
     * The {@code q} quantile of cumulative bucket counts by upper bound (including +Inf), as Prometheus's
     * {@code histogram_quantile}: linear inside the bucket the rank falls in, the lower bound of the
     * first bucket being 0, and the highest finite bound when the rank falls in the +Inf bucket.
     */
    static double quantile(double q, Map<Double, Double> cumulativeByBound) {
        List<Map.Entry<Double, Double>> b = new ArrayList<>(new TreeMap<>(cumulativeByBound).entrySet());
        if (b.isEmpty()) {
            return Double.NaN;
        }
        double total = b.get(b.size() - 1).getValue();
        if (total <= 0) {
            return Double.NaN;
        }
        double rank = q * total;
        double prevBound = 0;
        double prevCount = 0;
        for (Map.Entry<Double, Double> e : b) {
            double bound = e.getKey();
            double count = e.getValue();
            if (count >= rank) {
                if (Double.isInfinite(bound)) {
                    return prevBound;
                }
                if (count == prevCount) {
                    return bound;
                }
                return prevBound + (bound - prevBound) * (rank - prevCount) / (count - prevCount);
            }
            prevBound = bound;
            prevCount = count;
        }
        return prevBound;
    }

    /** A series' identity: name and labels. */
    private record Series(String name, Map<String, String> labels) {
        Series(Sample s) {
            this(s.name(), s.labels());
        }
    }
}
