package io.meshj.controller.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpc.Status;
import io.meshj.api.metrics.v1.Edge;
import io.meshj.api.metrics.v1.EdgesRequest;
import io.meshj.api.metrics.v1.EdgesResponse;
import io.meshj.api.metrics.v1.Resource;
import io.meshj.api.metrics.v1.StatRequest;
import io.meshj.api.metrics.v1.StatResponse;
import io.meshj.api.metrics.v1.StatRow;
import io.meshj.controller.testing.RecordingObserver;
import io.meshj.metrics.PrometheusText;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stat's --to/--from and READ/WRITE bytes, and Edges, on hand-built scrapes ten seconds apart: three
 * meshed deployments (vote-bot calls web, web calls emoji over mTLS and a plain "legacy" over TCP), so
 * every number below is exact.
 */
class MetricsServiceTest {

    private static final String WEB_ID = "web.default.serviceaccount.identity.meshj.cluster.local";
    private static final String EMOJI_ID = "emoji.default.serviceaccount.identity.meshj.cluster.local";
    private static final String BOT_ID = "vote-bot.default.serviceaccount.identity.meshj.cluster.local";

    // vote-bot's identity is not known to the backend: edges must read it off web's inbound client_id.
    private final MetricsScraper.Target bot = new MetricsScraper.Target("default", "vote-bot-1", "vote-bot", "vote-bot", "u1");
    private final MetricsScraper.Target web = new MetricsScraper.Target("default", "web-1", "web", "web", "u2", WEB_ID);
    private final MetricsScraper.Target emoji = new MetricsScraper.Target("default", "emoji-1", "emoji", "emoji", "u3", EMOJI_ID);

    private final AtomicLong now = new AtomicLong();
    private MetricsService service;

    @BeforeEach
    void scrapes() {
        MetricsScraper scraper = new MetricsScraper(() -> List.of(bot, web, emoji), Duration.ofSeconds(1),
                Duration.ofMinutes(1), now::get);
        service = new MetricsService(scraper);
        String toWeb = "direction=\"outbound\",tls=\"true\",server_id=\"" + WEB_ID + "\",dst_namespace=\"default\","
                + "dst_service=\"web\",dst_deployment=\"web\",dst_pod=\"web-1\"";
        // No dst_deployment (a workload registered without that label): the pod says which deployment.
        String toEmoji = "direction=\"outbound\",tls=\"true\",server_id=\"" + EMOJI_ID + "\",dst_namespace=\"default\","
                + "dst_service=\"emoji\",dst_pod=\"emoji-1\"";
        String toLegacy = "direction=\"outbound\",peer=\"dst\",tls=\"no_identity\",no_tls_reason=\"not_provided_by_service_discovery\","
                + "dst_namespace=\"default\",dst_service=\"legacy\",dst_deployment=\"legacy\"";
        String fromBot = "direction=\"inbound\",tls=\"true\",client_id=\"" + BOT_ID + "\"";
        String fromWeb = "direction=\"inbound\",tls=\"true\",client_id=\"" + WEB_ID + "\"";
        for (int i = 0; i <= 1; i++) {
            now.set(i * 10_000_000_000L);
            scraper.record(bot, scrape(
                    "response_total{" + toWeb + ",classification=\"success\"} " + i * 100,
                    "response_total{" + toWeb + ",classification=\"failure\"} " + i * 20,
                    "response_latency_ms_bucket{" + toWeb + ",le=\"10\"} " + i * 60,
                    "response_latency_ms_bucket{" + toWeb + ",le=\"20\"} " + i * 120,
                    "response_latency_ms_bucket{" + toWeb + ",le=\"+Inf\"} " + i * 120,
                    "tcp_open_total{" + toWeb + ",peer=\"dst\"} 1",
                    "tcp_open_connections{" + toWeb + ",peer=\"dst\"} 1",
                    "tcp_read_bytes_total{" + toWeb + ",peer=\"dst\"} " + i * 9000));
            scraper.record(web, scrape(
                    "response_total{" + fromBot + ",classification=\"success\"} " + i * 100,
                    "response_total{" + fromBot + ",classification=\"failure\"} " + i * 20,
                    "tcp_open_connections{" + fromBot + ",peer=\"src\"} 1",
                    "tcp_read_bytes_total{" + fromBot + ",peer=\"src\"} " + i * 2000,
                    "tcp_write_bytes_total{" + fromBot + ",peer=\"src\"} " + i * 8000,
                    // its own connections to the application: not the pod's traffic as a server
                    "tcp_read_bytes_total{direction=\"inbound\",peer=\"dst\",tls=\"no_identity\"} " + i * 7777,
                    "response_total{" + toEmoji + ",classification=\"success\"} " + i * 50,
                    "response_latency_ms_bucket{" + toEmoji + ",le=\"1\"} " + i * 50,
                    "response_latency_ms_bucket{" + toEmoji + ",le=\"+Inf\"} " + i * 50,
                    "tcp_open_total{" + toLegacy + "} 3"));
            scraper.record(emoji, scrape(
                    "response_total{" + fromWeb + ",classification=\"success\"} " + i * 50));
        }
    }

    private MetricsScraper.Scrape scrape(String... lines) {
        return new MetricsScraper.Scrape(now.get(), PrometheusText.parse(String.join("\n", lines) + "\n"));
    }

    @Test
    void edgesAreTheOutboundSeriesOfEachSourceWithTheirTlsStatus() throws Exception {
        assertThat(edges("deploy", "", "default")).containsExactly(
                edge("vote-bot", "web", true, BOT_ID, WEB_ID, ""),
                edge("web", "emoji", true, WEB_ID, EMOJI_ID, ""),
                edge("web", "legacy", false, WEB_ID, "", "not_provided_by_service_discovery"));
        assertThat(edges("deploy", "emoji", "")).containsExactly(edge("web", "emoji", true, WEB_ID, EMOJI_ID, ""));
        assertThat(edges("po", "", "")).extracting(Edge::getDst).containsExactly("web-1", "emoji-1");
        assertThat(edges("deploy", "", "elsewhere")).isEmpty();
    }

    @Test
    void statToIsTheRowsOutboundTrafficToTheDestination() throws Exception {
        StatResponse r = stat(StatRequest.newBuilder().setNamespace("default").setResourceType("deploy")
                .setTo(Resource.newBuilder().setType("deploy").setName("web")));
        assertThat(r.getRowsList()).extracting(StatRow::getName).containsExactly("vote-bot");
        StatRow bot = r.getRows(0);
        assertThat(bot.getSuccessRate()).isCloseTo(100.0 / 120, within(1e-9));
        assertThat(bot.getRequestsPerSecond()).isCloseTo(12.0, within(1e-9));
        assertThat(bot.getLatencyP50Ms()).isCloseTo(10.0, within(1e-9));
        assertThat(bot.getLatencyP95Ms()).isCloseTo(19.0, within(1e-9));
        assertThat(bot.getLatencyP99Ms()).isCloseTo(19.8, within(1e-9));
        assertThat(bot.getTcpConnections()).isEqualTo(1);
        assertThat(bot.getReadBytesPerSecond()).isCloseTo(900.0, within(1e-9));
        assertThat(bot.getWindow().getSeconds()).isEqualTo(10);
    }

    @Test
    void statFromIsTheSourcesOutboundTrafficToEachRow() throws Exception {
        StatResponse r = stat(StatRequest.newBuilder().setNamespace("default").setResourceType("deploy")
                .setFrom(Resource.newBuilder().setType("deploy").setName("web")));
        // web also opened connections to legacy, but legacy is no known resource to make a row of.
        assertThat(r.getRowsList()).extracting(StatRow::getName).containsExactly("emoji");
        StatRow emojiRow = r.getRows(0);
        assertThat(emojiRow.getSuccessRate()).isEqualTo(1.0);
        assertThat(emojiRow.getRequestsPerSecond()).isCloseTo(5.0, within(1e-9));
        assertThat(emojiRow.getLatencyP99Ms()).isCloseTo(0.99, within(1e-9));
        assertThat(emojiRow.getMeshedPods()).isEqualTo(1);
    }

    @Test
    void plainStatHasTheServersReadAndWriteBytesPerSecond() throws Exception {
        StatResponse r = stat(StatRequest.newBuilder().setNamespace("default").setResourceType("deploy").setResourceName("web"));
        StatRow webRow = r.getRows(0);
        assertThat(webRow.getRequestsPerSecond()).isCloseTo(12.0, within(1e-9));
        assertThat(webRow.getReadBytesPerSecond()).isCloseTo(200.0, within(1e-9));
        assertThat(webRow.getWriteBytesPerSecond()).isCloseTo(800.0, within(1e-9));
        // Plain stat keeps a row for every resource, traffic or not.
        assertThat(stat(StatRequest.newBuilder().setResourceType("deploy")).getRowsList())
                .extracting(StatRow::getName).containsExactly("emoji", "vote-bot", "web");
    }

    @Test
    void unknownTypesAndFromWithToAreInvalidArguments() {
        RecordingObserver<EdgesResponse> edges = new RecordingObserver<>();
        service.edges(EdgesRequest.newBuilder().setResourceType("cronjob").build(), edges);
        assertThat(Status.fromThrowable(edges.error()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(edges.error()).hasMessageContaining("cronjob");

        RecordingObserver<StatResponse> both = new RecordingObserver<>();
        service.stat(StatRequest.newBuilder().setResourceType("deploy").setTo(Resource.newBuilder().setType("deploy"))
                .setFrom(Resource.newBuilder().setType("deploy")).build(), both);
        assertThat(Status.fromThrowable(both.error()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

        RecordingObserver<StatResponse> badTo = new RecordingObserver<>();
        service.stat(StatRequest.newBuilder().setResourceType("deploy").setTo(Resource.newBuilder().setType("job")).build(), badTo);
        assertThat(badTo.error()).hasMessageContaining("\"job\" in to");
    }

    private List<Edge> edges(String type, String name, String namespace) throws Exception {
        RecordingObserver<EdgesResponse> answer = new RecordingObserver<>();
        service.edges(EdgesRequest.newBuilder().setResourceType(type).setResourceName(name).setNamespace(namespace).build(), answer);
        return answer.next(Duration.ofSeconds(1)).getEdgesList();
    }

    private StatResponse stat(StatRequest.Builder request) throws Exception {
        RecordingObserver<StatResponse> answer = new RecordingObserver<>();
        service.stat(request.build(), answer);
        return answer.next(Duration.ofSeconds(1));
    }

    private static Edge edge(String src, String dst, boolean secured, String clientId, String serverId, String reason) {
        return Edge.newBuilder().setSrcNamespace("default").setSrc(src).setDstNamespace("default").setDst(dst)
                .setSecured(secured).setClientId(clientId).setServerId(serverId).setNoTlsReason(reason).build();
    }
}
