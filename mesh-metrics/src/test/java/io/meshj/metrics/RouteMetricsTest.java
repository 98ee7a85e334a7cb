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
    void actualSeriesCountEveryAttemptOfARetriedRequest() {
        try (MeshMetrics metrics = MeshMetrics.create()) {
            RouteMetrics.Series books = metrics.routes().series("outbound", DST, "GET /books");
            // One request, three attempts: a 503, a reset, then a 200, which is the request's response.
            books.request();
            books.actualRequest();
            books.actualResponse(503, true);
            books.actualRequest();
            books.actualError("upstream_failed");
            books.actualRequest();
            books.actualResponse(200, false);
            books.response(200, false, 4);
            String s = metrics.scrape();
            assertThat(series(s, "route_request_total", "rt_route=\"GET /books\"")).isEqualTo("1.0");
            assertThat(series(s, "route_actual_request_total", "rt_route=\"GET /books\"")).isEqualTo("3.0");
            assertThat(series(s, "route_actual_response_total", "classification=\"failure\"", "status_code=\"503\"")).isEqualTo("1.0");
            assertThat(series(s, "route_actual_response_total", "classification=\"success\"", "status_code=\"200\"")).isEqualTo("1.0");
            assertThat(s).contains("route_actual_response_total{classification=\"failure\",direction=\"outbound\",dst=\""
                    + DST + "\",rt_route=\"GET /books\"} 1.0");
            assertThat(series(s, "route_response_total", "classification=\"success\"", "status_code=\"200\"")).isEqualTo("1.0");
            assertThat(s).doesNotContain("route_response_total{classification=\"failure\"");
        }
    }

    @Test
    void idleSeriesExpire() {
        long[] now = {0};
        try (MeshMetrics metrics = MeshMetrics.create(() -> now[0])) {
            RouteMetrics.Series s = metrics.routes().series("outbound", DST, "r");
            s.request();
            s.response(200, false, 1);
            s.actualRequest();
            s.actualResponse(200, false);
            s.actualError("upstream_failed");
            now[0] = java.time.Duration.ofMinutes(11).toNanos();
            metrics.expireIdle(MeshMetrics.DEFAULT_RETAIN_IDLE);
            assertThat(s.isRemoved()).isTrue();
            assertThat(metrics.scrape()).doesNotContain("route_");
            assertThat(metrics.routes().series("outbound", DST, "r")).isNotSameAs(s);
        }
    }
}
