package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj stat --prometheus} against a real Prometheus server (the Debian package's binary,
 * started here on a free port with its own data directory, not the package's system service): a
 * controller, a registered application behind its proxy, Prometheus scraping that proxy's admin port
 * every second with the target labels stat groups by, and StatIT's scripted load (40 requests a
 * second, every fourth answered 500). Both ways of computing stat must agree.
 *
 * <p>The two are compared while the load runs, over windows it fills: Prometheus's {@code increase()}
 * and the controller's two-scrape difference are both rates measured between samples at the window's
 * edges, and agree only when no idle time inside the window lets their different sample times divide
 * it differently (after the load's end, the idle tail of a 5 s window alone set them ~20 % apart).
 */
class PrometheusStatIT {

    private static final Pattern ADMIN = Pattern.compile("ready \\(\\w+\\): .* admin /127\\.0\\.0\\.1:(\\d+)");
    /** The stat window of the comparison; the load runs this long plus two scrape intervals before it. */
    private static final int WINDOW_SECONDS = 8;

    @TempDir
    Path dir;

    private HttpServer app;
    private final List<MeshjProcess> processes = new ArrayList<>();
    private Process prometheus;
    private ScriptedLoad load;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        if (load != null) {
            load.close();
        }
        if (prometheus != null) {
            // SIGTERM: Prometheus closes its TSDB before the temporary directory is removed.
            prometheus.destroy();
            if (!prometheus.waitFor(15, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        if (app != null) {
            app.stop(0);
        }
    }

    @Test
    void prometheusNumbersAgreeWithTheControllersScrapes() throws Exception {
        app = LocalMeshes.failingApp();
        int appPort = app.getAddress().getPort();
        String destination = "127.0.0.1:" + LocalMeshes.freePort();
        String home = dir.resolve("home").toString();
        processes.add(MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", home, "--destination-listen", destination,
                "--identity-listen", "127.0.0.1:0", "--scrape-interval", "1s"));
        MeshjProcess[] pair = LocalMeshes.webAndClient(dir, destination, home, appPort);
        processes.addAll(List.of(pair));
        MeshjProcess server = pair[0];
        MeshjProcess client = pair[1];
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> ADMIN.matcher(server.output()).find());
        String prometheusUrl = startPrometheus(Integer.parseInt(server.find(ADMIN)));
        int outbound = Integer.parseInt(client.find(LocalMeshes.OUTBOUND));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> LocalMeshes.curl(outbound, "web:" + appPort).startsWith("200"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> httpStatus(prometheusUrl + "/-/ready") == 200);

        long loadStartMillis = System.currentTimeMillis();
        load = ScriptedLoad.start(outbound, "web:" + appPort);

        // Prometheus has scraped the proxy two intervals after a full window of load: its window, and
        // the controller's (whose scrapes are as frequent), now hold nothing but the steady load.
        double loadFilledWindow = loadStartMillis / 1000.0 + WINDOW_SECONDS + 2;
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            JsonArray r = query(prometheusUrl, "max(timestamp(response_total{direction=\"inbound\",deployment=\"web\","
                    + "classification=\"failure\"}))");
            return !r.isEmpty() && r.get(0).getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble() >= loadFilledWindow;
        });
        String window = WINDOW_SECONDS + "s";
        JsonObject scraped = onlyRow(MeshjProcess.run("stat", "-n", "default", "deploy", "-t", window, "-o", "json",
                "--destination", destination));
        JsonObject fromPrometheus = onlyRow(MeshjProcess.run("stat", "-n", "default", "deploy", "-t", window, "-o", "json",
                "--destination", destination, "--prometheus", prometheusUrl));
        String table = MeshjProcess.run("stat", "-n", "default", "deploy", "--destination", destination,
                "--prometheus", prometheusUrl);
        assertThat(load.errors()).isZero();

        String both = "controller: " + scraped + "\nprometheus: " + fromPrometheus;
        assertThat(fromPrometheus.get("name").getAsString()).as(both).isEqualTo("web");
        assertThat(fromPrometheus.get("meshed").getAsString()).as(both).isEqualTo(scraped.get("meshed").getAsString()).isEqualTo("1/1");
        assertThat(fromPrometheus.get("tcp_conn").getAsLong()).as(both).isEqualTo(scraped.get("tcp_conn").getAsLong());
        assertThat(fromPrometheus.get("window_seconds").getAsLong()).as(both).isEqualTo(WINDOW_SECONDS);
        double success = fromPrometheus.get("success").getAsDouble();
        assertThat(success).as(both).isBetween(0.74, 0.76); // the script's 3 in 4
        assertThat(success).as(both).isCloseTo(scraped.get("success").getAsDouble(), org.assertj.core.data.Offset.offset(0.01));
        double rps = fromPrometheus.get("rps").getAsDouble();
        assertThat(rps).as(both).isCloseTo(scraped.get("rps").getAsDouble(), org.assertj.core.data.Percentage.withPercentage(10));
        assertThat(fromPrometheus.get("latency_ms_p99").getAsDouble()).as(both).isPositive();

        // The table is the same printer's.
        assertThat(table).containsPattern("(?m)^web +1/1 +\\d+\\.\\d\\d% +\\d+\\.\\drps +\\d+ms +\\d+ms +\\d+ms +\\d+$");
    }

    @Test
    void anUnreachablePrometheusIsOneLineNamingItWithExitCodeOne() throws Exception {
        String nobody = "http://127.0.0.1:" + LocalMeshes.freePort();
        Path err = dir.resolve("stat.err");
        Process p = new ProcessBuilder(MeshjProcess.launcher().toString(), "stat", "deploy", "--prometheus", nobody,
                "--destination", "127.0.0.1:" + LocalMeshes.freePort())
                .redirectOutput(dir.resolve("stat.out").toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(Files.readString(err)).startsWith("meshj: cannot reach Prometheus at " + nobody + ": ").hasLineCount(1);
        assertThat(Files.readString(dir.resolve("stat.out"))).isEmpty();
    }

    /**
     * Starts Prometheus scraping the proxy at {@code adminPort} every second, with the target labels
     * {@code meshj stat --prometheus} groups by (the values the controller gives this workload).
     */
    private String startPrometheus(int adminPort) throws IOException {
        int port = LocalMeshes.freePort();
        Path config = Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  scrape_timeout: 1s",
                "  evaluation_interval: 1s",
                "scrape_configs:",
                "  - job_name: meshj-proxy",
                "    static_configs:",
                "      - targets: ['127.0.0.1:" + adminPort + "']",
                "        labels: {namespace: default, pod: web-1, deployment: web, service: web}",
                ""));
        prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("prometheus-data"),
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        return "http://127.0.0.1:" + port;
    }

    private int httpStatus(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** An instant query's result vector, asked directly of Prometheus's API. */
    private JsonArray query(String prometheusUrl, String promql) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(prometheusUrl + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("data").getAsJsonArray("result");
    }

    private static JsonObject onlyRow(String json) {
        JsonElement parsed;
        try {
            parsed = JsonParser.parseString(json);
        } catch (RuntimeException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
        assertThat(parsed.isJsonArray()).as(json).isTrue();
        assertThat(parsed.getAsJsonArray()).as(json).hasSize(1);
        return parsed.getAsJsonArray().get(0).getAsJsonObject();
    }
}
