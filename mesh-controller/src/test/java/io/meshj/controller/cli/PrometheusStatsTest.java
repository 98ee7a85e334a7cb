package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.meshj.api.metrics.v1.StatRequest;
import io.meshj.api.metrics.v1.StatResponse;
import io.meshj.api.metrics.v1.StatRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@link PrometheusStats} against a fake Prometheus (the JDK's HTTP server answering canned API
 * JSON): the queries it sends, how their answers land in the controller's rows, and its errors. The
 * real server is {@code PrometheusStatIT}'s.
 */
class PrometheusStatsTest {

    private HttpServer prometheus;
    private final List<String> queries = new CopyOnWriteArrayList<>();
    /** The answer to a query, by the query's first word; absent: an empty vector. */
    private volatile Map<String, String> answers = Map.of();
    private volatile int status = 200;
    private String url;

    @BeforeEach
    void start() throws IOException {
        prometheus = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        prometheus.createContext("/prefix/api/v1/query", exchange -> {
            String q = URLDecoder.decode(exchange.getRequestURI().getRawQuery().substring("query=".length()),
                    StandardCharsets.UTF_8);
            queries.add(q);
            String result = answers.entrySet().stream().filter(e -> q.startsWith(e.getKey())).map(Map.Entry::getValue)
                    .findFirst().orElse("[]");
            byte[] body = (status == 200 ? "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":" + result + "}}"
                    : "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        prometheus.start();
        url = "http://127.0.0.1:" + prometheus.getAddress().getPort() + "/prefix/";
    }

    @AfterEach
    void stop() {
        prometheus.stop(0);
    }

    private static String series(String labels, String value) {
        return "{\"metric\":{" + labels + "},\"value\":[1700000000.123,\"" + value + "\"]}";
    }

    private static StatRow listed(String name) {
        return StatRow.newBuilder().setNamespace("default").setName(name).setMeshedPods(1).setPods(2)
                .setHasTraffic(true).setSuccessRate(0.5).setTcpConnections(9).build();
    }

    @Test
    void asksLinkerdsQueriesAndFillsTheControllersRows() {
        answers = Map.of(
                "sum(increase(response_total", "["
                        + series("\"namespace\":\"default\",\"deployment\":\"web\",\"classification\":\"success\"", "90") + ","
                        + series("\"namespace\":\"default\",\"deployment\":\"web\",\"classification\":\"failure\"", "30") + ","
                        + series("\"namespace\":\"other\",\"deployment\":\"web\",\"classification\":\"success\"", "1000") + "]",
                "histogram_quantile(0.5,", "[" + series("\"namespace\":\"default\",\"deployment\":\"web\"", "2.5") + "]",
                "histogram_quantile(0.95,", "[" + series("\"namespace\":\"default\",\"deployment\":\"web\"", "NaN") + "]",
                "histogram_quantile(0.99,", "[" + series("\"namespace\":\"default\",\"deployment\":\"web\"", "+Inf") + "]",
                "sum(tcp_open_connections", "[" + series("\"namespace\":\"default\",\"deployment\":\"web\"", "3") + "]");
        List<StatRequest> asked = new CopyOnWriteArrayList<>();
        StatRequest request = StatRequest.newBuilder().setNamespace("default").setResourceType("deploy")
                .setWindow(com.google.protobuf.Duration.newBuilder().setSeconds(30)).build();

        StatResponse r = PrometheusStats.of(new CommandLine(new StatCommand()), url).stat(req -> {
            asked.add(req);
            return StatResponse.newBuilder().addRows(listed("web")).addRows(listed("idle")).build();
        }, request);

        String sel = "{direction=\"inbound\",namespace=\"default\"}";
        assertThat(queries).containsExactly(
                "sum(increase(response_total" + sel + "[30s])) by (namespace, deployment, classification)",
                "histogram_quantile(0.5, sum(irate(response_latency_ms_bucket" + sel + "[30s])) by (le, namespace, deployment))",
                "histogram_quantile(0.95, sum(irate(response_latency_ms_bucket" + sel + "[30s])) by (le, namespace, deployment))",
                "histogram_quantile(0.99, sum(irate(response_latency_ms_bucket" + sel + "[30s])) by (le, namespace, deployment))",
                "sum(tcp_open_connections{direction=\"inbound\",peer=\"src\",namespace=\"default\"}) by (namespace, deployment)");
        // The controller only lists: asked without the window, which may exceed what it keeps.
        assertThat(asked).containsExactly(request.toBuilder().clearWindow().build());

        StatRow web = r.getRows(0);
        assertThat(web.getName()).isEqualTo("web");
        assertThat(web.getMeshedPods()).isEqualTo(1);
        assertThat(web.getPods()).isEqualTo(2);
        assertThat(web.getHasTraffic()).isTrue();
        assertThat(web.getSuccessRate()).isEqualTo(0.75);
        assertThat(web.getRequestsPerSecond()).isEqualTo(4.0); // 120 responses in 30 s
        assertThat(web.getLatencyP50Ms()).isEqualTo(2.5);
        assertThat(web.getLatencyP95Ms()).isNaN();
        assertThat(web.getLatencyP99Ms()).isInfinite();
        assertThat(web.getTcpConnections()).isEqualTo(3);
        assertThat(web.getWindow().getSeconds()).isEqualTo(30);

        // Listed by the controller, unknown to Prometheus: no traffic, not the controller's numbers.
        StatRow idle = r.getRows(1);
        assertThat(idle.getName()).isEqualTo("idle");
        assertThat(idle.getHasTraffic()).isFalse();
        assertThat(idle.getSuccessRate()).isZero();
        assertThat(idle.getTcpConnections()).isZero();
    }

    @Test
    void selectsTheAskedNameAndGroupsNamespacesByTheirOwnLabel() {
        answers = Map.of("sum(increase(response_total", "["
                + series("\"namespace\":\"emojivoto\",\"classification\":\"success\"", "60") + "]");
        StatRequest request = StatRequest.newBuilder().setResourceType("ns").setResourceName("emoji\"voto")
                .setWindow(com.google.protobuf.Duration.newBuilder().setSeconds(1).setNanos(500_000_000)).build();
        StatResponse r = PrometheusStats.of(new CommandLine(new StatCommand()), url).stat(req -> StatResponse.newBuilder()
                .addRows(StatRow.newBuilder().setName("emojivoto")).build(), request);

        assertThat(queries.get(0)).isEqualTo(
                "sum(increase(response_total{direction=\"inbound\",namespace=\"emoji\\\"voto\"}[1500ms])) by (namespace, classification)");
        assertThat(r.getRows(0).getSuccessRate()).isEqualTo(1.0);
        assertThat(r.getRows(0).getRequestsPerSecond()).isEqualTo(40.0);
    }

    @Test
    void aRejectedQueryIsOneLineWithPrometheussReason() {
        status = 400;
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
                "stat", "deploy", "--prometheus", url, "--destination", "127.0.0.1:1");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).startsWith("meshj: Prometheus at " + url + " rejected the query sum(increase(response_total")
                .endsWith(": bad_data: parse error\n").hasLineCount(1);
    }

    @Test
    void anAnswerOfAnotherShapeIsAnErrorNotAStackTrace() {
        answers = Map.of("sum(increase(response_total", "[{\"metric\":{\"pod\":\"web-1\"},\"value\":\"12\"}]");
        assertThatThrownBy(() -> PrometheusStats.of(new CommandLine(new StatCommand()), url)
                .stat(req -> StatResponse.getDefaultInstance(), StatRequest.newBuilder().setResourceType("po").build()))
                .isInstanceOf(PrometheusStats.PrometheusException.class)
                .hasMessageStartingWith("Prometheus at " + url + " answered sum(increase(response_total")
                .hasMessageContaining("with no instant vector");
    }

    @Test
    void aServerThatIsNotPrometheusIsNamed() {
        String elsewhere = "http://127.0.0.1:" + prometheus.getAddress().getPort();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                "stat", "deploy", "--prometheus", elsewhere, "--destination", "127.0.0.1:1");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("meshj: " + elsewhere
                + " is not a Prometheus server: /api/v1/query answered HTTP 404 without Prometheus's JSON\n");
    }

    @Test
    void anUnreachableServerIsOneLineNamingIt() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String nobody = "http://127.0.0.1:" + closed;
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                "stat", "deploy", "--prometheus", nobody, "--destination", "127.0.0.1:1");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).startsWith("meshj: cannot reach Prometheus at " + nobody + ": ").hasLineCount(1);
    }

    @Test
    void aMalformedUrlIsAUsageErrorNamingTheFlag() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                "stat", "deploy", "--prometheus", "localhost:9090");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("meshj: --prometheus localhost:9090: use http://HOST:PORT");
        assertThatThrownBy(() -> PrometheusStats.of(new CommandLine(new StatCommand()), "http://[::1"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageStartingWith("--prometheus http://[::1: not a URL");
    }
}
