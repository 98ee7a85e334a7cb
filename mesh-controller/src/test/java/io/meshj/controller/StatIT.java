package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj stat} without Prometheus: a controller that scrapes every second, a registered
 * application behind its proxy, and a steady scripted load through a caller's proxy — 40 requests a
 * second, every fourth answered 500 — must come back as 75.00 % success and 40 RPS (± 10 %).
 */
class StatIT {


    @TempDir
    Path dir;

    private HttpServer app;
    private final List<MeshjProcess> processes = new ArrayList<>();
    private ScriptedLoad load;

    @AfterEach
    void stop() throws Exception {
        if (load != null) {
            load.close();
        }
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        if (app != null) {
            app.stop(0);
        }
    }

    @Test
    void statShowsTheScriptedSuccessRateAndRate() throws Exception {
        app = LocalMeshes.failingApp();
        int appPort = app.getAddress().getPort();
        String destination = "127.0.0.1:" + LocalMeshes.freePort();
        String home = dir.resolve("home").toString();
        processes.add(MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", home, "--destination-listen", destination,
                "--identity-listen", "127.0.0.1:0", "--scrape-interval", "1s"));
        MeshjProcess[] pair = LocalMeshes.webAndClient(dir, destination, home, appPort);
        processes.addAll(List.of(pair));
        MeshjProcess client = pair[1];
        int outbound = Integer.parseInt(client.find(LocalMeshes.OUTBOUND));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> LocalMeshes.curl(outbound, "web:" + appPort).startsWith("200"));

        // 40 requests a second, one in four to /fail (ScriptedLoad).
        load = ScriptedLoad.start(outbound, "web:" + appPort);

        // Once 6 s of load are behind, a 5 s window holds only steady load.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> load.sent() >= 6 * 40);
        String json = MeshjProcess.run("stat", "-n", "default", "deploy/web", "-t", "5s", "-o", "json", "--destination", destination);
        assertThat(json).contains("\"name\": \"web\"").contains("\"meshed\": \"1/1\"");
        double success = number(json, "success");
        double rps = number(json, "rps");
        assertThat(success).as(json).isBetween(0.74, 0.76);
        assertThat(rps).as(json).isBetween(36.0, 44.0);
        assertThat(load.errors()).isZero();

        String table = MeshjProcess.run("stat", "-n", "default", "deploy", "--destination", destination);
        assertThat(table.lines().findFirst().orElseThrow())
                .matches("NAME +MESHED +SUCCESS +RPS +LATENCY_P50 +LATENCY_P95 +LATENCY_P99 +TCP_CONN");
        assertThat(table).containsPattern("(?m)^web +1/1 +\\d+\\.\\d\\d% +\\d+\\.\\drps +\\d+ms +\\d+ms +\\d+ms +\\d+$");
    }

    private static double number(String json, String key) {
        java.util.regex.Matcher m = Pattern.compile("\"" + key + "\": ([0-9.Ee+-]+)").matcher(json);
        assertThat(m.find()).as("%s in %s", key, json).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
