package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj tap} and {@code meshj top} on a local mesh with mTLS everywhere: the controller (as its
 * own identity) taps the web proxy, and the commands print exactly the requests made, with their
 * fields, in Linkerd's formats; a resource with nothing to tap is a one-line error.
 */
class TapCommandsIT {

    private static final Pattern OUTBOUND = Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin /127\\.0\\.0\\.1:(\\d+)");
    private static final String CONTROLLER_ID = "controller.meshj.serviceaccount.identity.meshj.cluster.local";

    @TempDir
    Path dir;

    private final List<MeshjProcess> processes = new ArrayList<>();
    private HttpServer app;

    @AfterEach
    void stop() throws Exception {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        if (app != null) {
            app.stop(0);
        }
    }

    @Test
    void tapAndTopShowTheRequestsMade() throws Exception {
        app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.createContext("/", exchange -> {
            boolean fail = exchange.getRequestURI().getPath().endsWith("/fail");
            byte[] body = (fail ? "no\n" : "ok\n").getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(fail ? 500 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        int appPort = app.getAddress().getPort();
        String destination = "127.0.0.1:" + LocalMeshes.freePort();
        String identity = "127.0.0.1:" + LocalMeshes.freePort();
        String home = dir.resolve("home").toString();
        processes.add(MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", home, "--destination-listen", destination,
                "--identity-listen", identity, "--tls"));
        String anchors = dir.resolve("home/identity/trust-anchor.pem").toString();
        MeshjProcess web = proxy("web", appPort, destination, identity, anchors, home, Pattern.compile("registered web.default"));
        MeshjProcess client = proxy("client", 0, destination, identity, anchors, home, OUTBOUND);
        int outbound = Integer.parseInt(client.find(OUTBOUND));
        String webMetrics = "http://127.0.0.1:" + web.find(ADMIN) + "/metrics";
        String host = "web:" + appPort;
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> LocalMeshes.curl(outbound, host).equals("200 ok\n"));
        String[] tls = {"--destination", destination, "--controller-identity", CONTROLLER_ID, "--trust-anchors", anchors};

        // tap: two requests, then it ends by itself (--limit).
        MeshjProcess tap = background("tap", with(tls, "tap", "deploy/web", "--path", "/t/", "--limit", "2"));
        awaitSubscribers(webMetrics, 1);
        get(outbound, host, "/t/ok");
        get(outbound, host, "/t/fail");
        await().atMost(Duration.ofSeconds(20)).until(() -> !tap.isAlive());
        List<String> lines = tap.output().lines().toList();
        assertThat(lines).as(tap.output()).hasSize(6);
        String common = "id=0:\\d+ proxy=in  src=127\\.0\\.0\\.1:\\d+ dst=127\\.0\\.0\\.1:" + appPort + " tls=true";
        assertThat(lines.get(0)).matches("req " + common + " :method=GET :authority=" + Pattern.quote(host) + " :path=/t/ok");
        assertThat(lines.get(1)).matches("rsp " + common + " :status=200 latency=\\d+µs");
        assertThat(lines.get(2)).matches("end " + common + " duration=\\d+µs response-length=3B");
        assertThat(lines.get(3)).matches("req " + common + " :method=GET :authority=" + Pattern.quote(host) + " :path=/t/fail");
        assertThat(lines.get(4)).matches("rsp " + common + " :status=500 latency=\\d+µs");
        assertThat(lines.get(5)).matches("end " + common + " duration=\\d+µs response-length=3B");
        assertThat(id(lines.get(0))).isEqualTo(id(lines.get(2))).isNotEqualTo(id(lines.get(3)));
        awaitSubscribers(webMetrics, 0);

        // top: the same traffic folded by path.
        MeshjProcess top = background("top", with(tls, "top", "deploy/web", "--path", "/t/", "--limit", "3"));
        awaitSubscribers(webMetrics, 1);
        get(outbound, host, "/t/ok");
        get(outbound, host, "/t/ok");
        get(outbound, host, "/t/fail");
        await().atMost(Duration.ofSeconds(20)).until(() -> !top.isAlive());
        List<String> table = top.output().lines().toList();
        assertThat(table).as(top.output()).hasSize(3);
        assertThat(table.get(0)).matches("Source +Destination +Method +Path +Count +Best +Worst +Last +Success Rate");
        assertThat(table.get(1)).matches("127\\.0\\.0\\.1:\\d+ +web-1 +GET +/t/ok +2 +\\S+ +\\S+ +\\S+ +100\\.00%");
        assertThat(table.get(2)).matches("127\\.0\\.0\\.1:\\d+ +web-1 +GET +/t/fail +1 +\\S+ +\\S+ +\\S+ +0\\.00%");

        // Nothing to tap: one line, exit 1.
        MeshjProcess none = background("none", with(tls, "tap", "deploy/nope"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !none.isAlive());
        assertThat(none.output().strip()).isEqualTo(
                "meshj: no tappable workload for deploy/nope in namespace default (is it meshed and running?)");
    }

    private static String id(String line) {
        return line.split(" ")[1];
    }

    private MeshjProcess background(String name, String... args) throws IOException {
        MeshjProcess p = MeshjProcess.start(dir.resolve(name + ".log"), Pattern.compile(""), args);
        processes.add(p);
        return p;
    }

    /** Polls the proxy's own gauge: the tap is subscribed before the requests it should see are made. */
    private static void awaitSubscribers(String metricsUrl, int n) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> http.send(
                HttpRequest.newBuilder(URI.create(metricsUrl)).build(), HttpResponse.BodyHandlers.ofString()).body()
                .contains("\nmeshj_tap_subscribers " + n + ".0\n"));
    }

    private static void get(int outbound, String host, String path) throws Exception {
        Process p = new ProcessBuilder("curl", "-sS", "-o", "/dev/null", "--max-time", "10", "-H", "Host: " + host,
                "http://127.0.0.1:" + outbound + path).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }

    private MeshjProcess proxy(String sa, int appPort, String destination, String identity, String anchors, String home,
            Pattern ready) throws Exception {
        Path token = Files.writeString(dir.resolve(sa + ".token"),
                MeshjProcess.run("identity", "token", "--sa", sa, "--data-dir", home));
        List<String> args = new ArrayList<>(List.of("proxy", "--outbound-listen", "127.0.0.1:0",
                "--inbound-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0",
                "--shutdown-grace-period", "1s", "--destination", destination, "--workload-name", sa + "-1",
                "--identity", identity, "--identity-token-file", token.toString(), "--trust-anchors", anchors,
                "--service-account", sa, "--controller-identity", CONTROLLER_ID));
        if (appPort > 0) {
            args.addAll(List.of("--app-ports", Integer.toString(appPort), "--register", sa + ".default:" + appPort,
                    "--require-identity-ports", Integer.toString(appPort)));
        }
        MeshjProcess p = MeshjProcess.start(dir.resolve(sa + "-proxy.log"), ready, args.toArray(new String[0]));
        processes.add(p);
        return p;
    }

    private static String[] with(String[] tail, String... head) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(tail));
        return all.toArray(new String[0]);
    }
}
