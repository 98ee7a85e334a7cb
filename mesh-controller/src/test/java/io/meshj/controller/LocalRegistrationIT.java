package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local mesh without any static entry: the server's proxy registers its application with
 * {@code meshj controller --local}, the caller's proxy finds it by name, and when the server's proxy
 * stops it deregisters, so callers get "no endpoints" at once rather than when the lease lapses.
 */
class LocalRegistrationIT {

    private static final Pattern OUTBOUND = Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");

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
        app = LocalMeshes.app("hello from a registered web\n");
        int appPort = app.getAddress().getPort();
        String destination = "127.0.0.1:" + LocalMeshes.freePort();

        controller = MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", dir.resolve("home").toString(), "--destination-listen", destination,
                "--identity-listen", "127.0.0.1:0");
        serverProxy = MeshjProcess.start(dir.resolve("server-proxy.log"), Pattern.compile("registered web.default"),
                "proxy", "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0",
                "--admin-listen", "127.0.0.1:0", "--app-ports", Integer.toString(appPort), "--shutdown-grace-period", "1s",
                "--destination", destination, "--register", "web.default:" + appPort, "--workload-name", "web-1");
        clientProxy = MeshjProcess.start(dir.resolve("client-proxy.log"), OUTBOUND, "proxy",
                "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                "--destination", destination, "--shutdown-grace-period", "1s");
        int outbound = Integer.parseInt(clientProxy.find(OUTBOUND));

        assertThat(LocalMeshes.curl(outbound, "web:" + appPort)).isEqualTo("200 hello from a registered web\n");

        serverProxy.close();
        serverProxy = null;
        // Deregistered on shutdown: the controller serves no endpoint for the name any more (well before
        // a 30 s lease would have lapsed).
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> endpoints(destination, "web.default:" + appPort).equals("No endpoints found.\n"));
    }

    private static String endpoints(String destination, String name) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(MeshjProcess.launcher().toString(), "diagnostics", "endpoints",
                "--destination", destination, name)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
