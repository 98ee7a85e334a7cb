package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local mesh without any static entry: the server's proxy registers its application with
 * {@code meshj controller --local} (proving its identity with a token from {@code meshj identity token}),
 * both proxies are certified by the controller's identity service and talk mTLS (and TLS to the
 * controller, whose identity they check, so tokens never cross in clear), the caller's proxy
 * finds the application by name, {@code meshj identity web-1} shows the server proxy's certificate, and
 * when the server's proxy stops it deregisters, so callers get "no endpoints" at once rather than when
 * the lease lapses.
 */
class LocalRegistrationIT {

    private static final Pattern OUTBOUND = Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");

    private static final String CONTROLLER_ID = "controller.meshj.serviceaccount.identity.meshj.cluster.local";

    @TempDir
    Path dir;

    private HttpServer app;
    private MeshjProcess controller;
    private MeshjProcess serverProxy;
    private MeshjProcess clientProxy;

    @AfterEach
    void stop() throws Exception {
        for (MeshjProcess p : new MeshjProcess[] {clientProxy, serverProxy, controller}) {
            if (p != null) {
                p.close();
            }
        }
        if (app != null) {
            app.stop(0);
        }
    }

    @Test
    void aRegisteredApplicationIsFoundByNameAndLeavesWhenItsProxyStops() throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> clientId = new java.util.concurrent.atomic.AtomicReference<>();
        app = LocalMeshes.app("hello from a registered web\n", h -> clientId.set(h.getFirst("meshj-client-id")));
        int appPort = app.getAddress().getPort();
        String destination = "127.0.0.1:" + LocalMeshes.freePort();
        String identity = "127.0.0.1:" + LocalMeshes.freePort();
        String home = dir.resolve("home").toString();

        controller = MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", home, "--destination-listen", destination,
                "--identity-listen", identity, "--tls");
        String anchors = dir.resolve("home/identity/trust-anchor.pem").toString();
        Path webToken = Files.writeString(dir.resolve("web.token"), MeshjProcess.run("identity", "token", "--sa", "web", "--data-dir", home));
        Path clientToken = Files.writeString(dir.resolve("client.token"),
                MeshjProcess.run("identity", "token", "--sa", "client", "--data-dir", home));
        serverProxy = MeshjProcess.start(dir.resolve("server-proxy.log"), Pattern.compile("registered web.default"),
                "proxy", "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0",
                "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0", "--app-ports", Integer.toString(appPort), "--shutdown-grace-period", "1s",
                "--destination", destination, "--register", "web.default:" + appPort, "--workload-name", "web-1",
                "--identity", identity, "--identity-token-file", webToken.toString(), "--trust-anchors", anchors,
                "--service-account", "web", "--require-identity-ports", Integer.toString(appPort),
                "--controller-identity", CONTROLLER_ID);
        clientProxy = MeshjProcess.start(dir.resolve("client-proxy.log"), OUTBOUND, "proxy",
                "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0",
                "--destination", destination, "--shutdown-grace-period", "1s",
                "--identity", identity, "--identity-token-file", clientToken.toString(), "--trust-anchors", anchors,
                "--service-account", "client", "--controller-identity", CONTROLLER_ID);
        int outbound = Integer.parseInt(clientProxy.find(OUTBOUND));

        // The application's port takes mTLS only: this answer crossed between certified proxies.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> LocalMeshes.curl(outbound, "web:" + appPort).equals("200 hello from a registered web\n"));
        assertThat(clientId.get()).isEqualTo("client.default.serviceaccount.identity.meshj.cluster.local");
        assertThat(endpoints(destination, "web.default:" + appPort, "-o", "wide", "--controller-identity", CONTROLLER_ID,
                "--trust-anchors", anchors))
                .contains("web.default.serviceaccount.identity.meshj.cluster.local");

        String shown = MeshjProcess.run("identity", "web-1", "--data-dir", home);
        assertThat(shown).contains("identity:    web.default.serviceaccount.identity.meshj.cluster.local")
                .contains("spiffe id:   spiffe://cluster.local/ns/default/sa/web").contains("-----BEGIN CERTIFICATE-----");

        serverProxy.close();
        serverProxy = null;
        // Deregistered on shutdown: the controller serves no endpoint for the name any more (well before
        // a 30 s lease would have lapsed).
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> endpoints(destination, "web.default:" + appPort, "--controller-identity", CONTROLLER_ID,
                        "--trust-anchors", anchors).equals("No endpoints found.\n"));
        // The controller speaks TLS only: a plaintext client gets nothing.
        assertThat(endpoints(destination, "web.default:" + appPort)).doesNotContain("No endpoints found");
    }

    private static String endpoints(String destination, String name, String... more) throws IOException, InterruptedException {
        List<String> args = new java.util.ArrayList<>(List.of("diagnostics", "endpoints", "--destination", destination, name));
        args.addAll(List.of(more));
        return MeshjProcess.run(args.toArray(new String[0]));
    }
}
