package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.meshj.proxy.embedded.Mesh;
import io.meshj.proxy.embedded.MeshServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded mode against real peers: a local controller and real sidecar proxies (separate
 * processes), and meshes in this JVM. Each direction must work with mTLS and leave the same series a
 * sidecar would: embedded client → sidecar-fronted server, sidecar client → embedded server, and
 * embedded → embedded.
 */
class EmbeddedInteropIT {

    private static final Pattern OUTBOUND = Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin /127\\.0\\.0\\.1:(\\d+)");
    private static final String NS = "interop";

    @TempDir
    Path dir;

    private final List<AutoCloseable> closers = new ArrayList<>();
    private String destination;
    private String identity;
    private String home;

    @BeforeEach
    void controller() throws Exception {
        destination = "127.0.0.1:" + LocalMeshes.freePort();
        identity = "127.0.0.1:" + LocalMeshes.freePort();
        home = dir.resolve("home").toString();
        closers.add(MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", home, "--destination-listen", destination,
                "--identity-listen", identity, "--scrape-interval", "1s"));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closers.size() - 1; i >= 0; i--) {
            closers.get(i).close();
        }
    }

    @Test
    void sidecarClientCallsEmbeddedServer() throws Exception {
        Mesh server = mesh("echo", "echo-svc", "echo");
        MeshServer echo = MeshServer.forAddress(server, new java.net.InetSocketAddress("127.0.0.1", 0))
                .addService(EchoService.named("echo")).start();
        closers.add(echo);
        MeshjProcess client = proxy("client", OUTBOUND);
        int outbound = Integer.parseInt(client.find(OUTBOUND));

        ManagedChannel plain = Grpc.newChannelBuilder("127.0.0.1:" + outbound, InsecureChannelCredentials.create())
                .overrideAuthority("echo-svc." + NS + ":" + echo.port()).build();
        closers.add(plain::shutdownNow);
        String clientId = "client." + NS + ".serviceaccount.identity.meshj.cluster.local";
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> EchoService.say(plain, "hi").equals("echo says hi to " + clientId));
        assertThatThrownBy(() -> EchoService.say(plain, "fail")).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN));

        // The embedded server's inbound series name the proxy's identity, as a sidecar's would.
        String serverMetrics = get("http://127.0.0.1:" + server.adminAddress().getPort() + "/metrics");
        String echoId = "echo." + NS + ".serviceaccount.identity.meshj.cluster.local";
        assertThat(serverMetrics).containsPattern("request_total\\{[^}]*direction=\"inbound\"[^}]*\\}")
                .containsPattern("response_total\\{[^}]*classification=\"failure\"[^}]*grpc_status=\"2\"[^}]*\\} 1\\.0")
                .contains("client_id=\"" + clientId + "\"")
                .containsPattern("tcp_open_connections\\{[^}]*direction=\"inbound\"[^}]*tls=\"true\"[^}]*\\} 1\\.0");
        // And the proxy's outbound series show a secured hop to the embedded endpoint.
        String proxyMetrics = get("http://127.0.0.1:" + client.find(ADMIN) + "/metrics");
        assertThat(proxyMetrics).containsPattern("response_total\\{[^}]*direction=\"outbound\"[^}]*dst_deployment=\"echo\""
                + "[^}]*server_id=\"" + Pattern.quote(echoId) + "\"[^}]*tls=\"true\"[^}]*\\}");
    }

    @Test
    void embeddedClientCallsSidecarFrontedServer() throws Exception {
        Server app = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(EchoService.named("plain")).build().start();
        closers.add(() -> app.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        MeshjProcess sidecar = proxy("plain", Pattern.compile("registered plain-svc." + NS),
                "--app-ports", Integer.toString(app.getPort()), "--register", "plain-svc." + NS + ":" + app.getPort(),
                "--deployment", "plain");
        Mesh caller = mesh("caller", "caller", "caller");
        ManagedChannel ch = caller.channel("plain-svc." + NS + ":" + app.getPort());
        closers.add(ch::shutdownNow);

        String callerId = "caller." + NS + ".serviceaccount.identity.meshj.cluster.local";
        // The sidecar hands the app plaintext: it cannot see the caller's certificate, only the proxy can.
        assertThat(EchoService.say(ch, "hi")).isEqualTo("plain says hi to anonymous");
        String proxyMetrics = get("http://127.0.0.1:" + sidecar.find(ADMIN) + "/metrics");
        assertThat(proxyMetrics).containsPattern("request_total\\{[^}]*client_id=\"" + Pattern.quote(callerId)
                + "\"[^}]*direction=\"inbound\"[^}]*tls=\"true\"[^}]*\\} 1\\.0");
        String plainId = "plain." + NS + ".serviceaccount.identity.meshj.cluster.local";
        String callerMetrics = caller.metrics().scrape();
        assertThat(callerMetrics).containsPattern("response_total\\{[^}]*authority=\"plain-svc\\." + NS + ":" + app.getPort()
                + "\"[^}]*direction=\"outbound\"[^}]*dst_deployment=\"plain\"[^}]*grpc_status=\"0\"[^}]*server_id=\""
                + Pattern.quote(plainId) + "\"[^}]*tls=\"true\"[^}]*\\} 1\\.0");

        // A client only, the caller registered itself all the same: the controller scrapes it, so stat
        // lists it and edges shows its call, secured.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(MeshjProcess.run("-n", NS, "edges", "deploy", "--destination", destination))
                    .containsPattern("(?m)^caller +plain +" + NS + " +" + NS + " +√$");
            assertThat(MeshjProcess.run("-n", NS, "stat", "deploy", "--destination", destination))
                    .containsPattern("(?m)^caller +1/1 ").containsPattern("(?m)^plain +1/1 ");
        });
    }

    @Test
    void embeddedToEmbeddedCarriesTheCallersIdentity() throws Exception {
        Mesh server = mesh("voting", "voting-svc", "voting");
        MeshServer voting = echo(server, "voting");
        Mesh web = mesh("web", "web-svc", "web");
        ManagedChannel ch = web.channel("mesh:///voting-svc." + NS + ":" + voting.port());
        closers.add(ch::shutdownNow);
        String webId = "web." + NS + ".serviceaccount.identity.meshj.cluster.local";
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> EchoService.say(ch, "hi").equals("voting says hi to " + webId));
        assertThat(web.metrics().scrape()).containsPattern("request_total\\{[^}]*direction=\"outbound\"[^}]*dst_deployment=\"voting\"");
        assertThat(server.metrics().scrape()).contains("client_id=\"" + webId + "\"");
    }

    @Test
    void theOneLineFormUsesTheDefaultMeshFromSystemProperties() throws Exception {
        MeshServer voting = echo(mesh("voting", "voting-svc", "voting"), "voting");
        Path token = Files.writeString(dir.resolve("default.token"),
                MeshjProcess.run("identity", "token", "--sa", "web", "-n", NS, "--data-dir", home));
        java.util.Map<String, String> props = java.util.Map.of("meshj.destination", destination, "meshj.identity", identity,
                "meshj.namespace", NS, "meshj.service.account", "web", "meshj.token.file", token.toString(),
                "meshj.trust.anchors", Path.of(home, "identity", "trust-anchor.pem").toString());
        props.forEach(System::setProperty);
        try {
            ManagedChannel ch = Grpc.newChannelBuilder("mesh:///voting-svc." + NS + ":" + voting.port(),
                    io.meshj.proxy.embedded.MeshCredentials.channel()).build();
            closers.add(ch::shutdownNow);
            String webId = "web." + NS + ".serviceaccount.identity.meshj.cluster.local";
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> EchoService.say(ch, "hi").equals("voting says hi to " + webId));
            assertThat(Mesh.defaultMesh().metrics().scrape())
                    .containsPattern("request_total\\{[^}]*direction=\"outbound\"[^}]*dst_deployment=\"voting\"");
        } finally {
            props.keySet().forEach(System::clearProperty);
            Mesh.defaultMesh().close();
        }
    }

    @Test
    void theServiceProfileTimesOutAndRetriesCalls() throws Exception {
        MeshServer voting = echo(mesh("voting", "voting-svc", "voting"), "voting");
        Mesh web = mesh("web", "web-svc", "web");
        ManagedChannel ch = web.channel("voting-svc." + NS + ":" + voting.port());
        closers.add(ch::shutdownNow);
        // Without a profile: the first attempt's failure is the call's, and a slow answer is waited for.
        assertThatThrownBy(() -> EchoService.say(ch, "flaky:1")).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

        Files.createDirectories(Path.of(home, "profiles"));
        Files.writeString(Path.of(home, "profiles", "voting.yml"), """
                apiVersion: meshj.io/v1alpha1
                kind: ServiceProfile
                metadata: {name: voting-svc.interop.svc.cluster.local, namespace: interop}
                spec:
                  routes:
                  - name: Say
                    condition: {method: POST, pathRegex: '/interop\\.Echo/Say'}
                    isRetryable: true
                    timeout: 300ms
                """);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            try {
                EchoService.say(ch, "slow");
                return false; // answered after 2 s: the profile is not applied yet
            } catch (StatusRuntimeException e) {
                return e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED;
            }
        });
        assertThat(EchoService.say(ch, "flaky:2")).isEqualTo("voting says flaky:2 to web." + NS
                + ".serviceaccount.identity.meshj.cluster.local");
    }

    /** An echo server named {@code name} in {@code mesh}, on any port of every interface, closed after the test. */
    private MeshServer echo(Mesh mesh, String name) throws java.io.IOException {
        MeshServer s = MeshServer.forPort(mesh, 0).addService(EchoService.named(name)).start();
        closers.add(s);
        return s;
    }

    /** A mesh in this JVM for service account {@code sa} in the test namespace, with a token from the controller. */
    private Mesh mesh(String sa, String service, String deployment) throws Exception {
        Path token = Files.writeString(dir.resolve(sa + ".token"),
                MeshjProcess.run("identity", "token", "--sa", sa, "-n", NS, "--data-dir", home));
        Mesh m = Mesh.builder().destination(destination).identityService(identity).namespace(NS).serviceAccount(sa)
                .tokenFile(token).trustAnchors(Path.of(home, "identity", "trust-anchor.pem")).workloadName(sa + "-1")
                .service(service).deployment(deployment).build();
        closers.add(m);
        return m.awaitReady(Duration.ofSeconds(20));
    }

    private MeshjProcess proxy(String sa, Pattern ready, String... more) throws Exception {
        Path token = Files.writeString(dir.resolve(sa + "-proxy.token"),
                MeshjProcess.run("identity", "token", "--sa", sa, "-n", NS, "--data-dir", home));
        List<String> args = new ArrayList<>(List.of("proxy", "--outbound-listen", "127.0.0.1:0", "--inbound-listen",
                "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0", "--destination", destination,
                "--identity", identity, "--identity-token-file", token.toString(), "--trust-anchors",
                Path.of(home, "identity", "trust-anchor.pem").toString(), "--service-account", sa, "--namespace", NS,
                "--workload-name", sa + "-proxy"));
        args.addAll(List.of(more));
        MeshjProcess p = MeshjProcess.start(dir.resolve(sa + "-proxy.log"), ready, args.toArray(String[]::new));
        closers.add(p);
        return p;
    }

    private static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
