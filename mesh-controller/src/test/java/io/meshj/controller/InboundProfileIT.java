package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.meshj.core.testing.KeepAliveHttpClient;
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
 * A server's proxy that registered no service (as an injected sidecar on Kubernetes, whose endpoints
 * come from the cluster) still records its routes: it follows the profile of the service each meshed
 * request was sent to, which the client's proxy names along with it (the fully qualified name it
 * resolved, in {@code meshj-dst-canonical}), else the request's Host; the application sees neither
 * that header nor the other meshj-* ones meant for the proxy.
 */
class InboundProfileIT {

    private static final Pattern OUTBOUND = Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin /127\\.0\\.0\\.1:(\\d+)");

    private static final String PROFILE = """
            apiVersion: meshj.io/v1alpha1
            kind: ServiceProfile
            metadata: {name: web.shop.svc.cluster.local, namespace: shop}
            spec:
              routes:
              - name: GET /books
                condition: {method: GET, pathRegex: /books}
            """;

    @TempDir
    Path dir;

    private HttpServer app;
    private final List<MeshjProcess> processes = new ArrayList<>();

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
    void theServersProxyFollowsTheProfileOfTheServiceTheClientsProxyResolved() throws Exception {
        app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        List<String> seenHeaders = new java.util.concurrent.CopyOnWriteArrayList<>();
        app.createContext("/", exchange -> {
            seenHeaders.addAll(exchange.getRequestHeaders().keySet());
            byte[] body = "ok\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        int appPort = app.getAddress().getPort();
        int webInbound = LocalMeshes.freePort();
        String destination = "127.0.0.1:" + LocalMeshes.freePort();
        String identity = "127.0.0.1:" + LocalMeshes.freePort();
        Path home = dir.resolve("home");
        Files.createDirectories(home.resolve("profiles"));
        Files.writeString(home.resolve("profiles/web.yml"), PROFILE);
        // web's endpoints come from a static file (as from the cluster): meshed, behind web's proxy.
        Path endpoints = Files.writeString(dir.resolve("static.yml"), "services:\n"
                + "  web.shop:" + appPort + ":\n"
                + "    - address: 127.0.0.1:" + appPort + "\n"
                + "      protocol: h2\n"
                + "      inboundPort: " + webInbound + "\n"
                + "      identity: web.shop.serviceaccount.identity.meshj.cluster.local\n");
        processes.add(MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", home.toString(), "--static", endpoints.toString(),
                "--destination-listen", destination, "--identity-listen", identity));
        Path anchors = home.resolve("identity/trust-anchor.pem");
        MeshjProcess web = proxy("web", "shop", destination, identity, anchors, home,
                "--inbound-listen", "127.0.0.1:" + webInbound, "--app-ports", Integer.toString(appPort));
        MeshjProcess bot = proxy("bot", "default", destination, identity, anchors, home,
                "--inbound-listen", "127.0.0.1:0");

        try (KeepAliveHttpClient c = new KeepAliveHttpClient(Integer.parseInt(bot.find(OUTBOUND)))) {
            for (String path : List.of("/books", "/books", "/other")) {
                assertThat(c.get("web.shop:" + appPort, path)).startsWith("200");
            }
        }
        String dst = "dst=\"web.shop.svc.cluster.local:" + appPort + "\"";
        String admin = "http://127.0.0.1:" + web.find(ADMIN) + "/metrics";
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            String metrics = get(admin);
            assertThat(metrics).contains("route_request_total{direction=\"inbound\"," + dst + ",rt_route=\"GET /books\"} 2.0")
                    .contains("route_request_total{direction=\"inbound\"," + dst + "} 1.0")
                    .containsPattern("request_total\\{[^}]*client_id=\"bot\\.default\\.serviceaccount[^}]*direction=\"inbound\"[^}]*tls=\"true\"");
        });
        assertThat(seenHeaders).map(h -> h.toLowerCase(java.util.Locale.ROOT)).contains("meshj-client-id")
                .doesNotContain("meshj-dst-canonical", "meshj-dst-addr", "meshj-orig-proto");
    }

    private MeshjProcess proxy(String sa, String ns, String destination, String identity, Path anchors, Path home,
            String... more) throws Exception {
        Path token = Files.writeString(dir.resolve(sa + ".token"),
                MeshjProcess.run("identity", "token", "--sa", sa, "-n", ns, "--data-dir", home.toString()));
        List<String> args = new ArrayList<>(List.of("proxy", "--outbound-listen", "127.0.0.1:0",
                "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0", "--destination", destination,
                "--identity", identity, "--identity-token-file", token.toString(), "--trust-anchors", anchors.toString(),
                "--service-account", sa, "--namespace", ns, "--workload-name", sa + "-1"));
        args.addAll(List.of(more));
        MeshjProcess p = MeshjProcess.start(dir.resolve(sa + "-proxy.log"), OUTBOUND, args.toArray(String[]::new));
        processes.add(p);
        return p;
    }

    private static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
