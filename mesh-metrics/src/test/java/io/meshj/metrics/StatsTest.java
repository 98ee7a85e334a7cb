package io.meshj.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Stat math on two real scrapes of a registry, and the quantile rule on hand-made buckets. */
class StatsTest {

    private static final TrafficLabels IN = new TrafficLabels("inbound", "web:8080", "127.0.0.1:8080",
            TlsStatus.NO_TLS_FROM_REMOTE, Map.of());

    @Test
    void successRateRpsQuantilesAndConnectionsOverAWindow() {
        try (MeshMetrics metrics = MeshMetrics.create()) {
            HttpMetrics.Route route = metrics.http().route(IN);
            route.request();
            route.response(200, -1, null, 1); // before the window: must not count
            List<Sample> before = PrometheusText.parse(metrics.scrape());
            for (int i = 0; i < 90; i++) {
                route.request();
                route.response(200, -1, null, 3.5);   // in the (3, 4] bucket
            }
            for (int i = 0; i < 10; i++) {
                route.request();
                route.response(500, -1, null, 150);   // in the (100, 200] bucket
            }
            metrics.tcp().accepted("inbound", TlsStatus.NO_TLS_FROM_REMOTE);
            List<Sample> after = PrometheusText.parse(metrics.scrape());

            Stats.Summary s = Stats.summarize(before, after, 10, x -> "inbound".equals(x.label("direction")));
            assertThat(s.successes()).isEqualTo(90);
            assertThat(s.failures()).isEqualTo(10);
            assertThat(s.successRate()).isEqualTo(0.9);
            assertThat(s.rps()).isEqualTo(10.0);
            // 50th of 100: inside (3, 4], which holds ranks 1-90: 3 + 1 × 50/90.
            assertThat(s.p50()).isCloseTo(3 + 50.0 / 90, within(1e-9));
            // 95th: the 5th of the 10 in (100, 200]: 100 + 100 × 5/10.
            assertThat(s.p95()).isCloseTo(150, within(1e-9));
            assertThat(s.p99()).isCloseTo(190, within(1e-9));
            assertThat(s.tcpConnections()).isEqualTo(1);
        }
    }

    @Test
    void aCounterThatWentDownCountsFromZero() {
        List<Sample> before = PrometheusText.parse("response_total{classification=\"success\"} 500\n");
        List<Sample> after = PrometheusText.parse("response_total{classification=\"success\"} 20\n");
        assertThat(Stats.summarize(before, after, 10, x -> true).successes()).isEqualTo(20);
    }

    @Test
    void increaseSumsTheAcceptedCountersGrowthWithResetsFromZero() {
        List<Sample> before = PrometheusText.parse("tcp_read_bytes_total{peer=\"src\",a=\"1\"} 100\n"
                + "tcp_read_bytes_total{peer=\"src\",a=\"2\"} 900\n"
                + "tcp_read_bytes_total{peer=\"dst\"} 5\n");
        List<Sample> after = PrometheusText.parse("tcp_read_bytes_total{peer=\"src\",a=\"1\"} 350\n"
                + "tcp_read_bytes_total{peer=\"src\",a=\"2\"} 40\n" // reset: 40 since
                + "tcp_read_bytes_total{peer=\"src\",a=\"3\"} 7\n" // new: 7 since
                + "tcp_read_bytes_total{peer=\"dst\"} 500\n");
        assertThat(Stats.increase(before, after, s -> "src".equals(s.label("peer")))).isEqualTo(250 + 40 + 7);
    }

    @Test
    void withoutResponsesThereIsNoRateOrLatency() {
        Stats.Summary s = Stats.summarize(List.of(), List.of(), 10, x -> true);
        assertThat(s.successRate()).isNaN();
        assertThat(s.p99()).isNaN();
        assertThat(s.rps()).isZero();
    }

    @Test
    void quantilesFollowHistogramQuantile() {
        Map<Double, Double> b = new TreeMap<>(Map.of(1.0, 0.0, 2.0, 10.0, Double.POSITIVE_INFINITY, 20.0));
        assertThat(Stats.quantile(0.25, b)).isCloseTo(1.5, within(1e-9));
        assertThat(Stats.quantile(0.99, b)).isEqualTo(2.0); // in the +Inf bucket: the highest finite bound
    }

    @Test
    void theParserReadsLabelsEscapesAndSpecialValues() {
        List<Sample> s = PrometheusText.parse("# HELP x y\nx{a=\"q\\\"uote\",b=\"back\\\\slash\"} +Inf 1700000000\ny 1.5e3\n\n");
        assertThat(s).hasSize(2);
        assertThat(s.get(0).labels()).containsEntry("a", "q\"uote").containsEntry("b", "back\\slash");
        assertThat(s.get(0).value()).isInfinite();
        assertThat(s.get(1).value()).isEqualTo(1500);
        assertThatThrownBy(() -> PrometheusText.parse("ok 1\nbad{a=\"x 2\n")).hasMessageStartingWith("line 2: unterminated label value");
    }
}
