package io.meshj.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Exact series after a scripted sequence, in Linkerd's names and labels. */
class MeshMetricsTest {

    private static final TrafficLabels WEB = new TrafficLabels("outbound", "web.emojivoto.svc.cluster.local:8080",
            "10.1.0.7:8080", TlsStatus.toServer("web.emojivoto.serviceaccount.identity.meshj.cluster.local"),
            Map.of("namespace", "emojivoto", "service", "web"));

    @Test
    void requestsResponsesAndLatenciesCarryLinkerdsLabels() {
        try (MeshMetrics metrics = MeshMetrics.create()) {
            HttpMetrics.Route route = metrics.http().route(WEB);
            for (int i = 0; i < 3; i++) {
                route.request();
            }
            route.response(200, -1, null, 1.5);
            route.response(503, -1, null, 12);
            route.request();
            route.response(200, 14, null, 0.4);          // gRPC UNAVAILABLE in trailers: a failure
            route.request();
            route.response(0, -1, "stream_reset", -1);    // no response at all
            String s = metrics.scrape();
            String target = "authority=\"web.emojivoto.svc.cluster.local:8080\",direction=\"outbound\","
                    + "dst_namespace=\"emojivoto\",dst_service=\"web\"";
            String tls = "server_id=\"web.emojivoto.serviceaccount.identity.meshj.cluster.local\",target_addr=\"10.1.0.7:8080\","
                    + "tls=\"true\"";
            assertThat(s).contains("request_total{" + target + "," + tls + "} 5.0");
            assertThat(series(s, "response_total", "classification=\"success\"", "status_code=\"200\"")).isEqualTo("1.0");
            assertThat(series(s, "response_total", "classification=\"failure\"", "status_code=\"503\"")).isEqualTo("1.0");
            assertThat(series(s, "response_total", "classification=\"failure\"", "grpc_status=\"14\"")).isEqualTo("1.0");
            assertThat(series(s, "response_total", "classification=\"failure\"", "error=\"stream_reset\"")).isEqualTo("1.0");
            assertThat(series(s, "response_latency_ms_bucket", "status_code=\"200\"", "le=\"1.0\"")).isEqualTo("1");
            assertThat(series(s, "response_latency_ms_bucket", "status_code=\"200\"", "le=\"2.0\"")).isEqualTo("2");
            assertThat(series(s, "response_latency_ms_bucket", "status_code=\"503\"", "le=\"10.0\"")).isEqualTo("0");
            assertThat(series(s, "response_latency_ms_bucket", "status_code=\"503\"", "le=\"20.0\"")).isEqualTo("1");
            assertThat(series(s, "response_latency_ms_count", "status_code=\"200\"")).isEqualTo("2");
            assertThat(s).contains("le=\"50000.0\"");
        }
    }

    @Test
    void connectionsAreCountedWhileOpenAndByHowTheyClosed() {
        try (MeshMetrics metrics = MeshMetrics.create()) {
            TcpMetrics.Connection a = metrics.tcp().accepted("inbound", TlsStatus.fromClient("web.emojivoto.serviceaccount.identity.meshj.cluster.local"));
            TcpMetrics.Connection b = metrics.tcp().accepted("inbound", TlsStatus.fromClient("web.emojivoto.serviceaccount.identity.meshj.cluster.local"));
            a.read(100);
            a.wrote(40);
            b.read(1);
            a.closed(null);
            a.closed(null); // once only
            String s = metrics.scrape();
            String labels = "client_id=\"web.emojivoto.serviceaccount.identity.meshj.cluster.local\",direction=\"inbound\","
                    + "peer=\"src\",tls=\"true\"";
            assertThat(s).contains("tcp_open_total{" + labels + "} 2.0");
            assertThat(s).contains("tcp_open_connections{" + labels + "} 1.0");
            assertThat(s).contains("tcp_read_bytes_total{" + labels + "} 101.0");
            assertThat(s).contains("tcp_write_bytes_total{" + labels + "} 40.0");
            assertThat(s).contains("tcp_close_total{classification=\"success\"," + labels + "} 1.0");
            b.closed("ECONNRESET");
            assertThat(series(metrics.scrape(), "tcp_close_total", "classification=\"failure\"", "errno=\"ECONNRESET\"",
                    "peer=\"src\"")).isEqualTo("1.0");
            assertThat(series(metrics.scrape(), "tcp_open_connections", "peer=\"src\"")).isEqualTo("0.0");
        }
    }

    @Test
    void authoritiesPastTheLimitCollapseIntoOverflow() {
        try (MeshMetrics metrics = MeshMetrics.create(2)) {
            for (String a : new String[] {"a:80", "b:80", "c:80", "d:80"}) {
                metrics.http().route(new TrafficLabels("outbound", a, "10.0.0.1:80", TlsStatus.LOOPBACK, Map.of())).request();
            }
            String s = metrics.scrape();
            assertThat(s).contains("authority=\"a:80\"").contains("authority=\"b:80\"").doesNotContain("authority=\"c:80\"");
            assertThat(series(s, "request_total", "authority=\"overflow\"")).isEqualTo("2.0");
        }
    }

    @Test
    void seriesOfLabelSetsIdleForTheRetentionAreDropped() {
        io.meshj.core.testing.FakeTicker ticker = new io.meshj.core.testing.FakeTicker();
        try (MeshMetrics metrics = MeshMetrics.create(ticker)) {
            TrafficLabels gone = new TrafficLabels("outbound", "web:80", "10.0.0.1:80", TlsStatus.LOOPBACK, Map.of("pod", "web-1"));
            TrafficLabels alive = new TrafficLabels("outbound", "web:80", "10.0.0.2:80", TlsStatus.LOOPBACK, Map.of("pod", "web-2"));
            metrics.http().route(gone).request();
            metrics.http().route(gone).response(200, -1, null, 1);
            TcpMetrics.Connection closed = metrics.tcp().connected("outbound", TlsStatus.LOOPBACK, "10.0.0.1:80", Map.of("pod", "web-1"));
            closed.closed(null);
            TcpMetrics.Connection open = metrics.tcp().connected("outbound", TlsStatus.LOOPBACK, "10.0.0.3:80", Map.of("pod", "web-3"));
            ticker.advance(java.time.Duration.ofMinutes(9));
            metrics.http().route(alive).request();
            ticker.advance(java.time.Duration.ofMinutes(2));
            metrics.expireIdle(java.time.Duration.ofMinutes(10));
            String s = metrics.scrape();
            assertThat(s).doesNotContain("dst_pod=\"web-1\"");        // idle 11 min: gone, HTTP and TCP
            assertThat(s).contains("request_total{").contains("dst_pod=\"web-2\"");
            assertThat(s).contains("dst_pod=\"web-3\"");               // an open connection is never idle
            assertThat(metrics.http().routeCount()).isEqualTo(1);
            open.closed(null);
            // Used again after expiry: new series, from zero.
            metrics.http().route(gone).request();
            assertThat(series(metrics.scrape(), "request_total", "dst_pod=\"web-1\"")).isEqualTo("1.0");
        }
    }

    @Test
    void theCertificateSeriesReadTheirSourceAtEachScrape() {
        try (MeshMetrics metrics = MeshMetrics.create()) {
            long[] state = {1_800_000_000L, 1_799_000_000L, 3, 1};
            metrics.identity(state, s -> s[0], s -> s[1], s -> s[2], s -> s[3]);
            assertThat(metrics.scrape()).contains("identity_cert_expiration_timestamp_seconds 1.8E9")
                    .contains("identity_cert_refresh_total 3.0").contains("identity_cert_refresh_failures_total 1.0");
            state[2] = 4;
            assertThat(metrics.scrape()).contains("identity_cert_refresh_total 4.0");
        }
    }

    /** The value of the one series of {@code name} whose labels contain every fragment. */
    static String series(String scrape, String name, String... fragments) {
        return scrape.lines().filter(l -> l.startsWith(name + "{")).filter(l -> {
            for (String f : fragments) {
                if (!l.contains(f)) {
                    return false;
                }
            }
            return true;
        }).map(l -> l.substring(l.lastIndexOf(' ') + 1)).reduce((x, y) -> {
            throw new AssertionError("more than one " + name + " series with " + String.join(",", fragments) + ": " + x + ", " + y);
        }).orElseThrow(() -> new AssertionError("no " + name + " series with " + String.join(",", fragments) + " in\n" + scrape));
    }
}
