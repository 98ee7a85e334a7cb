package io.meshj.metrics;

import static io.meshj.metrics.MeshMetricsTest.series;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Exact route_* series after a scripted sequence, in Linkerd's names and labels. */
class RouteMetricsTest {

    private static final String DST = "web.default.svc.cluster.local:8080";

    @Test
    void requestsAndResponsesByRouteWithTheRoutesClassification() {
        try (MeshMetrics metrics = MeshMetrics.create()) {
            RouteMetrics.Series books = metrics.routes().series("inbound", DST, "GET /books");
            RouteMetrics.Series unmatched = metrics.routes().series("inbound", DST, null);
            assertThat(metrics.routes().series("inbound", DST, "GET /books")).isSameAs(books);
            for (int i = 0; i < 3; i++) {
                books.request();
            }
            books.response(200, false, 1.5);
            books.response(404, true, 12);   // a response class said 404 is a failure on this route
            books.response(200, false, 0.4);
            unmatched.request();
            unmatched.response(503, true, 3);
            unmatched.request();
            unmatched.error("stream_reset");
            String s = metrics.scrape();
            String labels = "direction=\"inbound\",dst=\"" + DST + "\"";
            assertThat(s).contains("route_request_total{" + labels + ",rt_route=\"GET /books\"} 3.0");
            assertThat(s).contains("route_request_total{" + labels + "} 2.0");
            assertThat(series(s, "route_response_total", "rt_route=\"GET /books\"", "classification=\"success\"",
                    "status_code=\"200\"")).isEqualTo("2.0");
            assertThat(series(s, "route_response_total", "rt_route=\"GET /books\"", "classification=\"failure\"",
                    "status_code=\"404\"")).isEqualTo("1.0");
            assertThat(s).contains("route_response_total{classification=\"failure\"," + labels + ",status_code=\"503\"} 1.0");
            assertThat(s).contains("route_response_total{classification=\"failure\"," + labels + "} 1.0");
            assertThat(series(s, "route_response_latency_ms_bucket", "rt_route=\"GET /books\"", "status_code=\"200\"",
                    "le=\"1.0\"")).isEqualTo("1");
            assertThat(series(s, "route_response_latency_ms_bucket", "rt_route=\"GET /books\"", "status_code=\"200\"",
                    "le=\"2.0\"")).isEqualTo("2");
            assertThat(series(s, "route_response_latency_ms_bucket", "rt_route=\"GET /books\"", "status_code=\"404\"",
                    "le=\"20.0\"")).isEqualTo("1");
            assertThat(series(s, "route_response_latency_ms_count", labels + ",status_code=\"503\"")).isEqualTo("1");
        }
    }

    @Test
    void idleSeriesExpire() {
        long[] now = {0};
        try (MeshMetrics metrics = MeshMetrics.create(() -> now[0])) {
            RouteMetrics.Series s = metrics.routes().series("outbound", DST, "r");
            s.request();
            s.response(200, false, 1);
            now[0] = java.time.Duration.ofMinutes(11).toNanos();
            metrics.expireIdle(MeshMetrics.DEFAULT_RETAIN_IDLE);
            assertThat(s.isRemoved()).isTrue();
            assertThat(metrics.scrape()).doesNotContain("route_");
            assertThat(metrics.routes().series("outbound", DST, "r")).isNotSameAs(s);
        }
    }
}
