package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.meshj.core.testing.KeepAliveHttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj edges} and {@code meshj stat --to/--from/-o wide} on a local mesh with mTLS: two
 * registered, certified workloads (vote-bot and web) behind their proxies, vote-bot's proxy sending 30
 * requests to web. Edges must show the one edge, secured, with both identities; stat --to and --from
 * must find that traffic in vote-bot's outbound metrics; stat -o wide must show web's bytes.
 */
class EdgesIT {

    private static final Pattern OUTBOUND = Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");
    private static final String CONTROLLER_ID = "controller.meshj.serviceaccount.identity.meshj.cluster.local";
    private static final String WEB_ID = "web.default.serviceaccount.identity.meshj.cluster.local";
    private static final String BOT_ID = "vote-bot.default.serviceaccount.identity.meshj.cluster.local";

    @TempDir
    Path dir;

    private final List<HttpServer> apps = new ArrayList<>();
    private final List<MeshjProcess> processes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        for (HttpServer app : apps) {
            app.stop(0);
        }
    }

    @Test
    void edgesAndStatToFromShowTheMtlsTrafficBetweenTwoWorkloads() throws Exception {
        AtomicReference<String> clientId = new AtomicReference<>();
        HttpServer web = LocalMeshes.app("web\n", h -> clientId.set(h.getFirst("meshj-client-id")));
        apps.add(web);
        HttpServer bot = LocalMeshes.app("vote-bot\n");
        apps.add(bot);
        int webPort = web.getAddress().getPort();
        String destination = "127.0.0.1:" + LocalMeshes.freePort();
        String identity = "127.0.0.1:" + LocalMeshes.freePort();
        String home = dir.resolve("home").toString();
        processes.add(MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", home, "--destination-listen", destination,
                "--identity-listen", identity, "--tls", "--scrape-interval", "1s"));
        String anchors = dir.resolve("home/identity/trust-anchor.pem").toString();
        processes.add(proxy("web", "web-1", webPort, destination, identity, anchors, home, Pattern.compile("registered web.default")));
        MeshjProcess botProxy = proxy("vote-bot", "vote-bot-1", bot.getAddress().getPort(), destination, identity, anchors, home,
                OUTBOUND);
        processes.add(botProxy);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> botProxy.output().contains("registered vote-bot.default"));
        int outbound = Integer.parseInt(botProxy.find(OUTBOUND));

        // web's port takes mTLS only (--require-identity-ports): an answer means the proxies were certified.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> LocalMeshes.curl(outbound, "web:" + webPort).equals("200 web\n"));
        try (KeepAliveHttpClient c = new KeepAliveHttpClient(outbound)) {
            for (int i = 0; i < 30; i++) {
                assertThat(c.get("web:" + webPort, "/")).startsWith("200");
            }
        }
        assertThat(clientId.get()).isEqualTo(BOT_ID);

        // The controller scrapes every second: poll until its scrapes hold the traffic.
        String[] tls = {"--destination", destination, "--controller-identity", CONTROLLER_ID, "--trust-anchors", anchors};
        String edges = awaitOutput(() -> MeshjProcess.run(with(tls, "edges", "deploy")), "vote-bot");
        assertThat(edges.lines()).containsExactly(
                "SRC        DST   SRC_NS    DST_NS    SECURED",
                "vote-bot   web   default   default   √");
        assertThat(MeshjProcess.run(with(tls, "edges", "deploy", "-o", "wide")).lines()).element(1).asString()
                .matches("vote-bot +web +default +default +√ +" + Pattern.quote(BOT_ID) + " +" + Pattern.quote(WEB_ID));

        // Two scrapes must span the traffic for a rate: poll until the row is there.
        String to = awaitOutput(() -> MeshjProcess.run(with(tls, "stat", "deploy", "--to", "deploy/web")), "vote-bot ");
        assertThat(to).containsPattern("(?m)^vote-bot +1/1 +100\\.00% +\\d+\\.\\drps +\\d+ms +\\d+ms +\\d+ms +\\d+$");
        assertThat(to.lines().count()).as(to).isEqualTo(2); // the header and vote-bot: web sent nothing to web
        String from = awaitOutput(() -> MeshjProcess.run(with(tls, "stat", "deploy", "--from", "deploy/vote-bot")), "web ");
        assertThat(from).containsPattern("(?m)^web +1/1 +100\\.00% +\\d+\\.\\drps +\\d+ms +\\d+ms +\\d+ms +\\d+$");
        assertThat(from.lines().count()).as(from).isEqualTo(2);

        String wide = MeshjProcess.run(with(tls, "stat", "deploy/web", "-o", "wide"));
        assertThat(wide.lines().findFirst().orElseThrow()).endsWith("TCP_CONN   READ_BYTES/SEC   WRITE_BYTES/SEC");
        // vote-bot's requests arrived as bytes read from it, and web's answers as bytes written to it.
        assertThat(wide).containsPattern("(?m)^default +web +1/1 .* [1-9]\\d*\\.\\dB/s +[1-9]\\d*\\.\\dB/s$");
    }

    private MeshjProcess proxy(String sa, String pod, int appPort, String destination, String identity, String anchors,
            String home, Pattern ready) throws Exception {
        Path token = Files.writeString(dir.resolve(sa + ".token"),
                MeshjProcess.run("identity", "token", "--sa", sa, "--data-dir", home));
        return MeshjProcess.start(dir.resolve(sa + "-proxy.log"), ready,
                "proxy", "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0",
                "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0", "--app-ports", Integer.toString(appPort), "--shutdown-grace-period", "1s",
                "--destination", destination, "--register", sa + ".default:" + appPort, "--workload-name", pod,
                "--identity", identity, "--identity-token-file", token.toString(), "--trust-anchors", anchors,
                "--service-account", sa, "--require-identity-ports", Integer.toString(appPort),
                "--controller-identity", CONTROLLER_ID);
    }

    private static String[] with(String[] tail, String... head) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(tail));
        return all.toArray(new String[0]);
    }

    /** The command's output once it contains {@code expected} (polled, up to 30 s); fails with the last one. */
    private static String awaitOutput(java.util.concurrent.Callable<String> command, String expected) {
        AtomicReference<String> last = new AtomicReference<>("");
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        last.set(command.call());
                        return last.get().contains(expected);
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no \"" + expected + "\" within 30 s; last output:\n" + last.get(), e);
        }
        return last.get();
    }
}
