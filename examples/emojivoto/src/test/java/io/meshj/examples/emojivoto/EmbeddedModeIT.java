package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Embedded mode as a user runs it: a local meshj controller, emoji, voting and web started with
 * {@code java -jar} in embedded mode (configured by {@code MESHJ_*} variables only), and the vote-bot
 * in plain mode voting straight at the web's HTTP port, which embedded meshj leaves plain.
 *
 * <p>Checks the supervisor's contract too: one ready line each, and a clean stop on SIGTERM.
 */
class EmbeddedModeIT {

    private static final Path JAR = Path.of(System.getProperty("emojivoto.jar", "target/emojivoto.jar"));
    private static final String NS = "emojivoto";
    private static final Duration START = Duration.ofSeconds(60);
    private static final Pattern PORT = Pattern.compile(" on \\S+:(\\d+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    private final List<JavaProcess> processes = new ArrayList<>();
    private Path home;
    private String destination;
    private String identity;

    @BeforeEach
    void packaged() {
        assertThat(JAR).as("the packaged jar (run mvn verify, not only test)").isRegularFile();
    }

    /** Starts a local controller and issues the three workloads' tokens. */
    private void controller() throws Exception {
        home = dir.resolve("home");
        destination = "127.0.0.1:" + freePort();
        identity = "127.0.0.1:" + freePort();
        started(JavaProcess.main(dir, "controller", "io.meshj.controller.cli.Main", "controller", "--local",
                "--data-dir", home.toString(), "--destination-listen", destination, "--identity-listen", identity,
                "--scrape-interval", "1s"))
                .awaitStdout(Pattern.compile("meshj controller ready"), START);
        // Each token is a JVM of its own: issued side by side.
        List<JavaProcess> issuing = new ArrayList<>();
        for (String serviceAccount : List.of("emoji", "voting", "web")) {
            issuing.add(started(JavaProcess.main(dir, serviceAccount + "-token", "io.meshj.controller.cli.Main",
                    "identity", "token", "--sa", serviceAccount, "-n", NS, "--data-dir", home.toString())));
        }
        for (JavaProcess issue : issuing) {
            assertThat(issue.waitFor(START)).as(issue.stderr()).isZero();
        }
    }

    @AfterEach
    void stop() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
    }

    @Test
    void theServicesMeshThemselvesAndStopCleanly() throws Exception {
        controller();
        JavaProcess emoji = started(JavaProcess.jar(dir, "emoji", JAR, meshEnv("emoji", "emoji-svc"), "emoji", "--port", "0"));
        JavaProcess voting = started(JavaProcess.jar(dir, "voting", JAR, meshEnv("voting", "voting-svc"), "voting", "--port", "0"));
        String emojiPort = emoji.awaitStdout(Pattern.compile("^emojivoto emoji ready \\(embedded\\) on \\S+:(\\d+)$",
                Pattern.MULTILINE), START).group(1);
        String votingPort = voting.awaitStdout(Pattern.compile("^emojivoto voting ready \\(embedded\\) on \\S+:(\\d+)$",
                Pattern.MULTILINE), START).group(1);
        // A MeshServer registers at the port it is bound to, so that is the port in the service name.
        JavaProcess web = started(JavaProcess.jar(dir, "web", JAR, meshEnv("web", "web-svc"), "web", "--port", "0",
                "--emoji-addr", "emoji-svc." + NS + ":" + emojiPort, "--voting-addr", "voting-svc." + NS + ":" + votingPort));
        String webPort = web.awaitStdout(Pattern.compile("^emojivoto web ready \\(embedded\\) on 127\\.0\\.0\\.1:(\\d+)$",
                Pattern.MULTILINE), START).group(1);
        JavaProcess bot = started(JavaProcess.jar(dir, "vote-bot", JAR, Map.of(), "vote-bot",
                "--web-addr", "127.0.0.1:" + webPort, "--workers", "2", "--interval", "50ms"));
        bot.awaitStdout(Pattern.compile("^emojivoto vote-bot ready \\(plain\\) -> 127\\.0\\.0\\.1:" + webPort + "$",
                Pattern.MULTILINE), START);

        Http1Client webClient = new Http1Client(new Options.HostPort("127.0.0.1", Integer.parseInt(webPort)),
                "web-svc." + NS + ":" + webPort, Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(30)).until(() -> totalVotes(webClient.get("/api/leaderboard")) >= 20);

        // The web's mesh saw voting fail with gRPC UNKNOWN, over mTLS to the voting workload's identity.
        Pattern admin = Pattern.compile("admin /127\\.0\\.0\\.1:(\\d+)");
        var adminPort = admin.matcher(web.stderr());
        assertThat(adminPort.find()).as("the web's mesh logs its admin address:\n" + web.stderr()).isTrue();
        String metrics = get("http://127.0.0.1:" + adminPort.group(1) + "/metrics");
        assertThat(metrics).containsPattern("response_total\\{authority=\"voting-svc\\." + NS + ":" + votingPort
                + "\",classification=\"failure\",direction=\"outbound\"[^}]*grpc_status=\"2\",server_id=\"voting\\."
                + NS + "\\.serviceaccount\\.identity\\.meshj\\.cluster\\.local\"[^}]*tls=\"true\"\\}");

        // SIGTERM: each stops within the servers' five-second drain, with the JVM's usual 143.
        for (JavaProcess p : List.of(bot, web, voting, emoji)) {
            assertThat(p.terminate(Duration.ofSeconds(15))).as(p.stderr()).isEqualTo(143);
        }
        assertThat(web.stderr() + voting.stderr() + emoji.stderr()).doesNotContain("Exception");
        assertThat(emoji.stdout().lines()).hasSize(1);
    }

    @Test
    void withoutItsEnvironmentAnEmbeddedServiceSaysWhatIsMissing() throws Exception {
        JavaProcess emoji = started(JavaProcess.jar(dir, "emoji-bare", JAR, Map.of("EMOJIVOTO_MODE", "embedded"),
                "emoji", "--port", "0"));

        assertThat(emoji.waitFor(START)).isEqualTo(1);
        assertThat(emoji.stderr().lines().filter(l -> l.startsWith("emojivoto ")))
                .singleElement().asString().startsWith("emojivoto emoji: embedded mode: ").contains("MESHJ_TOKEN_FILE");
        assertThat(emoji.stderr()).doesNotContain("\tat ");
        assertThat(emoji.stdout()).isEmpty();
    }

    /** The environment of an embedded service; its token is the output of its {@code identity token}. */
    private Map<String, String> meshEnv(String serviceAccount, String service) throws IOException {
        Path token = dir.resolve(serviceAccount + "-token.out");
        Map<String, String> env = new HashMap<>();
        env.put("EMOJIVOTO_MODE", "embedded");
        env.put("MESHJ_DESTINATION", destination);
        env.put("MESHJ_IDENTITY", identity);
        env.put("MESHJ_NAMESPACE", NS);
        env.put("MESHJ_SERVICE_ACCOUNT", serviceAccount);
        env.put("MESHJ_SERVICE", service);
        env.put("MESHJ_DEPLOYMENT", serviceAccount);
        env.put("MESHJ_WORKLOAD_NAME", serviceAccount + "-1");
        env.put("MESHJ_TOKEN_FILE", token.toString());
        env.put("MESHJ_TRUST_ANCHORS", home.resolve("identity").resolve("trust-anchor.pem").toString());
        return env;
    }

    private static long totalVotes(Http1Client.Response leaderboard) {
        if (leaderboard.status() != 200) {
            return 0;
        }
        long total = 0;
        for (Object row : (List<?>) Json.parse(leaderboard.body())) {
            total += (Long) ((Map<?, ?>) row).get("votes");
        }
        return total;
    }

    private static String get(String url) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private JavaProcess started(JavaProcess process) {
        processes.add(process);
        return process;
    }
}
