package io.meshj.examples.emojivoto;

import static io.meshj.controller.testing.PrometheusText.series;
import static io.meshj.controller.testing.PrometheusText.sum;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshj.controller.testing.PodNetwork;
import io.meshj.controller.testing.PodNetwork.PodProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Transparent interception of a whole application, as root: emojivoto's four services run plain (no
 * mesh library, no proxy address, the default service names) in pods that are network namespaces
 * ({@link PodNetwork}), each pod with {@code meshj proxy-init}'s iptables rules and a sidecar
 * {@code meshj proxy} running as the proxy user (2102), and a local controller in a pod of its own.
 *
 * <p>vote-bot calls {@code web-svc.emojivoto:8080}, which its pod resolves to web's pod address; the
 * kernel hands the connection to vote-bot's proxy, which finds the service through discovery and goes
 * to web's proxy with mTLS, which hands it to web on localhost; web's gRPC calls to emoji and voting go
 * the same way. The test then checks what the CLI shows (stat, tap, edges all secured), that a skipped
 * outbound port bypasses the proxy, that the proxies' own connections are not redirected back to them,
 * and that {@code meshj proxy-init --uninstall} puts traffic back on the direct path.
 */
@Tag("netns")
class EmojivotoInPodsE2E {

    private static final Path ROOT = Path.of(System.getProperty("meshj.repo.root", "../..")).toAbsolutePath().normalize();
    private static final Path MESHJ = ROOT.resolve("bin/meshj");
    private static final Path JAR = Path.of(System.getProperty("emojivoto.jar", "target/emojivoto.jar")).toAbsolutePath();
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final int PROXY_UID = 2102;
    private static final String NS = "emojivoto";
    /** Small JVMs with C1 only (ten of them share two cores here) and every buffer tracked. */
    private static final String JVM_OPTS = "-XX:+UseSerialGC -Xmx96m -XX:TieredStopAtLevel=1 -Xss512k"
            + " -Dio.netty.leakDetection.level=paranoid";
    private static final int SKIPPED_PORT = 9999;
    private static final int REDIRECTED_PORT = 9998;

    @RegisterExtension
    final PodNetwork net = PodNetwork.builder()
            .pod("controller")
            .pod("emoji", "emoji-svc." + NS)
            .pod("voting", "voting-svc." + NS)
            .pod("web", "web-svc." + NS)
            .pod("vote-bot")
            .build();

    /** Files every pod's processes read (tokens, trust anchors): readable by the proxy user. */
    private Path dir;
    private final Map<String, PodProcess> proxies = new LinkedHashMap<>();
    private final Map<String, PodProcess> apps = new LinkedHashMap<>();

    @AfterEach
    void removeFiles() throws IOException {
        if (dir != null) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted((a, b) -> b.compareTo(a)).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void plainEmojivotoInPodsIsMeshedWithMutualTlsByTheRedirects() throws Exception {
        dir = Files.createTempDirectory("emojivoto-pods-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        String controllerIp = net.address("controller");

        // The controller: local registry, a fresh CA; not meshed (no rules in its pod).
        Path home = dir.resolve("home");
        net.start("controller", "env", "MESHJ_JAVA_OPTS=" + JVM_OPTS, MESHJ.toString(), "controller", "--local",
                "--data-dir", home.toString(), "--destination-listen", "0.0.0.0:8086", "--identity-listen", "0.0.0.0:8080",
                "--scrape-interval", "2s").awaitOutput("meshj controller ready", Duration.ofSeconds(90));
        Path anchors = readable(Files.copy(home.resolve("identity/trust-anchor.pem"), dir.resolve("trust-anchors.pem")));

        // Each application pod: the rules first (as an init container would), then its proxy as 2102.
        Map<String, String> services = new LinkedHashMap<>();
        services.put("emoji", "emoji-svc");
        services.put("voting", "voting-svc");
        services.put("web", "web-svc");
        services.put("vote-bot", null); // a client: registered so that stat, edges and tap know it
        for (Map.Entry<String, String> e : services.entrySet()) {
            String pod = e.getKey();
            List<String> init = new ArrayList<>(List.of(MESHJ.toString(), "proxy-init", "--proxy-uid", Integer.toString(PROXY_UID)));
            if (pod.equals("vote-bot")) {
                init.addAll(List.of("--outbound-ports-to-ignore", Integer.toString(SKIPPED_PORT)));
            }
            net.exec(pod, init.toArray(String[]::new)).check();
            Path token = readable(Files.writeString(dir.resolve(pod + ".token"),
                    meshj("identity", "token", "--sa", pod, "-n", NS, "--data-dir", home.toString()).strip()));
            List<String> proxy = new ArrayList<>(List.of("env", "MESHJ_JAVA_OPTS=" + JVM_OPTS, MESHJ.toString(), "proxy",
                    "--inbound-listen", "0.0.0.0:4143", "--outbound-listen", "127.0.0.1:4140",
                    "--admin-listen", "0.0.0.0:4191", "--tap-listen", "0.0.0.0:4190",
                    "--destination", "controller:8086", "--identity", "controller:8080",
                    "--identity-token-file", token.toString(), "--trust-anchors", anchors.toString(),
                    "--service-account", pod, "--namespace", NS, "--workload-name", pod + "-pod", "--deployment", pod,
                    "--register-address", net.address(pod), "--log-level", pod.equals("vote-bot") ? "debug" : "info"));
            proxy.addAll(e.getValue() == null ? List.of("--register-client", "true")
                    : List.of("--register", e.getValue() + "." + NS + ":8080", "--app-ports", "8080"));
            proxies.put(pod, net.startAs(PROXY_UID, pod, proxy.toArray(String[]::new)));
        }
        for (PodProcess proxy : proxies.values()) {
            proxy.awaitOutput("meshj proxy ready (EPOLL)", Duration.ofSeconds(90));
        }

        // The applications: plain, as root, with nothing but the names they always dial.
        app("emoji", "emoji", "--mode", "plain", "--listen-address", "0.0.0.0", "--port", "8080");
        app("voting", "voting", "--mode", "plain", "--listen-address", "0.0.0.0", "--port", "8080");
        app("web", "web", "--mode", "plain", "--listen-address", "0.0.0.0", "--port", "8080",
                "--emoji-addr", "emoji-svc." + NS + ":8080", "--voting-addr", "voting-svc." + NS + ":8080");
        PodProcess bot = app("vote-bot", "vote-bot", "--mode", "plain", "--web-addr", "web-svc." + NS + ":8080",
                "--interval", "250ms");

        // stat: every deployment meshed, the three servers with traffic.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            String stat = cli("-n", NS, "stat", "deploy");
            Map<String, String[]> rows = new TreeMap<>();
            for (String line : stat.lines().skip(1).toList()) {
                String[] cols = line.trim().split(" +");
                rows.put(cols[0], cols);
            }
            assertThat(rows.keySet()).as(stat).containsExactly("emoji", "vote-bot", "voting", "web");
            rows.values().forEach(row -> assertThat(row[1]).as(stat).isEqualTo("1/1"));
            for (String served : List.of("emoji", "voting", "web")) {
                assertThat(rows.get(served)[3]).as(stat).matches("\\d+\\.\\d+rps").isNotEqualTo("0.0rps");
            }
        });

        // edges: every hop between the pods is mTLS, with the callers' identities.
        String edges = cli("-n", NS, "edges", "deploy");
        assertThat(edges.lines().findFirst().orElse("")).as(edges).contains("SECURED");
        List<String> edgeLines = edges.lines().skip(1).toList();
        assertThat(edgeLines).as(edges).anyMatch(l -> l.matches("vote-bot +web +emojivoto +emojivoto +√"))
                .anyMatch(l -> l.matches("web +emoji +emojivoto +emojivoto +√"))
                .anyMatch(l -> l.matches("web +voting +emojivoto +emojivoto +√"))
                .allMatch(l -> l.endsWith("√"));

        // tap: vote-bot's requests arrive at web over TLS, with the authority the bot named.
        String tap = cli("-n", NS, "tap", "deploy/web", "--path", "/api/", "--limit", "1");
        List<String> tapLines = tap.lines().toList();
        assertThat(tapLines.get(0)).as(tap).startsWith("req ").contains("proxy=in").contains("tls=true").contains(":authority=web-svc." + NS + ":8080");
        assertThat(tapLines.get(tapLines.size() - 1)).as(tap).startsWith("end ");

        // The inbound side saw the caller's identity, on the application's own port.
        String emojiMetrics = metrics("emoji");
        assertThat(sum(emojiMetrics, "request_total", "direction=\"inbound\"", "tls=\"true\"",
                "client_id=\"web." + NS + ".serviceaccount.identity.meshj.cluster.local\"")).isPositive();

        // No loop: the proxies' own connections (to each other, to the controller) were not redirected
        // back to them. web's proxy accepted only the application's connections (a gRPC channel each
        // to emoji and voting), and its own connection to emoji's pod went out with TLS, verified as
        // emoji's identity.
        String webMetrics = metrics("web");
        assertThat(sum(webMetrics, "tcp_open_total", "direction=\"outbound\"", "peer=\"src\""))
                .as(series(webMetrics, "tcp_open_total")).isBetween(2.0, 4.0);
        assertThat(sum(webMetrics, "tcp_open_total", "direction=\"outbound\"", "peer=\"dst\"",
                "target_addr=\"" + net.address("emoji") + ":8080\"", "tls=\"true\"",
                "server_id=\"emoji." + NS + ".serviceaccount.identity.meshj.cluster.local\"")).as(series(webMetrics, "tcp_open_total")).isPositive();
        for (String pod : proxies.keySet()) {
            assertThat(sum(metrics(pod), "meshj_proxy_errors_total", "reason=\"loop_detected\"")).as(pod).isZero();
        }

        // A skipped outbound port bypasses the proxy; the port next to it does not.
        net.httpServer("controller", SKIPPED_PORT, "skipped");
        net.httpServer("controller", REDIRECTED_PORT, "redirected");
        assertThat(net.curl("vote-bot", "http://" + controllerIp + ":" + SKIPPED_PORT + "/")).isEqualTo("skipped");
        assertThat(net.curl("vote-bot", "http://" + controllerIp + ":" + REDIRECTED_PORT + "/")).isEqualTo("redirected");
        String botMetrics = metrics("vote-bot");
        assertThat(sum(botMetrics, "request_total", "direction=\"outbound\"",
                "target_addr=\"" + controllerIp + ":" + REDIRECTED_PORT + "\"")).isEqualTo(1);
        assertThat(botMetrics).doesNotContain(controllerIp + ":" + SKIPPED_PORT);
        assertThat(proxies.get("vote-bot").output()).contains("original destination of " + net.address("vote-bot"))
                .contains(controllerIp + ":" + REDIRECTED_PORT + " (outbound)")
                .doesNotContain(controllerIp + ":" + SKIPPED_PORT);

        // Removing the rules restores direct traffic: with vote-bot stopped, a request from its pod to
        // web passes neither proxy (their request counts stay put) and still gets its answer.
        bot.stop(Duration.ofSeconds(10));
        String listUrl = "http://web-svc." + NS + ":8080/api/list";
        double botBefore = sum(metrics("vote-bot"), "request_total", "direction=\"outbound\"");
        double webBefore = sum(metrics("web"), "request_total", "direction=\"inbound\"");
        assertThat(net.curl("vote-bot", listUrl)).as("through both proxies").contains("shortcode");
        assertThat(sum(metrics("vote-bot"), "request_total", "direction=\"outbound\"")).isEqualTo(botBefore + 1);
        assertThat(sum(metrics("web"), "request_total", "direction=\"inbound\"")).isEqualTo(webBefore + 1);
        for (String pod : List.of("vote-bot", "web")) {
            net.exec(pod, MESHJ.toString(), "proxy-init", "--uninstall").check();
            assertThat(net.exec(pod, "iptables-save", "-t", "nat").check().stdout()).as(pod).doesNotContain("MESHJ");
        }
        // The kernel resets connections it redirected before the rules went (here web's gRPC channels to
        // the proxy): web answers with its error until its channel has reconnected, directly this time.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(net.curl("vote-bot", listUrl)).as("direct").contains("shortcode"));
        assertThat(sum(metrics("vote-bot"), "request_total", "direction=\"outbound\"")).isEqualTo(botBefore + 1);
        assertThat(sum(metrics("web"), "request_total", "direction=\"inbound\"")).isEqualTo(webBefore + 1);

        for (Map<String, PodProcess> processes : List.of(proxies, apps)) {
            processes.forEach((pod, p) -> assertThat(p.output()).as(pod).doesNotContain("LEAK:"));
        }
    }

    private PodProcess app(String pod, String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(List.of(JVM_OPTS.split(" ")));
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        PodProcess app = net.start(pod, command.toArray(String[]::new)).awaitOutput("emojivoto " + args[0] + " ready", Duration.ofSeconds(90));
        apps.put(pod, app);
        return app;
    }

    /** The meshj CLI in the controller's pod, against the controller there; its output, or a failure with it. */
    private String cli(String... args) {
        List<String> command = new ArrayList<>(List.of("env", "MESHJ_JAVA_OPTS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC", MESHJ.toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--destination", "127.0.0.1:8086"));
        return net.exec("controller", command.toArray(String[]::new)).check().stdout();
    }

    /** A proxy's Prometheus text, from its admin port, read from inside its pod (as the controller scrapes it). */
    private String metrics(String pod) {
        return net.exec(pod, "curl", "-sS", "--max-time", "5", "http://127.0.0.1:4191/metrics").check().stdout();
    }

    /** The meshj CLI on this machine (no network needed); its standard output. */
    private static String meshj(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(MESHJ.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
        return out;
    }

    private static Path readable(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }
}
