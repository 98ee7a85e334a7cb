package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local mesh as a user runs it: {@code meshj controller --local} and two {@code meshj proxy}
 * processes, the caller's asking the controller where "web" is. A request by name reaches the
 * application through both proxies, and keeps doing so while the controller is down.
 */
class LocalMeshIT {

    private static final Pattern INBOUND = Pattern.compile("inbound /127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern OUTBOUND = Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    private HttpServer app;
    private MeshjProcess serverProxy;
    private MeshjProcess controller;
    private MeshjProcess clientProxy;

    @BeforeEach
    void start() throws Exception {
        app = LocalMeshes.app("hello from web\n");
        int appPort = app.getAddress().getPort();

        serverProxy = MeshjProcess.start(dir.resolve("server-proxy.log"), INBOUND, "proxy",
                "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0",
                "--app-ports", Integer.toString(appPort), "--shutdown-grace-period", "1s");
        int inbound = Integer.parseInt(serverProxy.find(INBOUND));

        Files.writeString(dir.resolve("static.yml"), "services:\n  web.default:80:\n    - address: 127.0.0.1:" + appPort
                + "\n      protocol: h2\n      inboundPort: " + inbound + "\n");
        int destinationPort = LocalMeshes.freePort();
        controller = startController(destinationPort);
        clientProxy = MeshjProcess.start(dir.resolve("client-proxy.log"), OUTBOUND, "proxy",
                "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0",
                "--destination", "127.0.0.1:" + destinationPort, "--shutdown-grace-period", "1s");
    }

    private MeshjProcess startController(int port) throws IOException {
        return MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", dir.resolve("home").toString(),
                "--static", dir.resolve("static.yml").toString(), "--destination-listen", "127.0.0.1:" + port,
                "--identity-listen", "127.0.0.1:0");
    }

    @AfterEach
    void stop() throws Exception {
        for (MeshjProcess p : new MeshjProcess[] {clientProxy, controller, serverProxy}) {
            if (p != null) {
                p.close();
            }
        }
        if (app != null) {
            app.stop(0);
        }
    }

    @Test
    void theControllerCertifiesAWorkloadWhoseTokenMeshjIdentityMinted() throws Exception {
        Process mint = new ProcessBuilder(MeshjProcess.launcher().toString(), "identity", "token", "--sa", "web",
                "-n", "default", "--ttl", "10m", "--data-dir", dir.resolve("home").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String token = new String(mint.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
        assertThat(mint.waitFor()).isZero();
        int identityPort = Integer.parseInt(controller.find(Pattern.compile("identity /127\\.0\\.0\\.1:(\\d+)")));
        io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", identityPort)
                .usePlaintext().build();
        try {
            io.meshj.tls.WorkloadIdentity web = new io.meshj.tls.WorkloadIdentity("web", "default", "cluster.local");
            io.meshj.api.identity.v1.CertifyResponse r = io.meshj.api.identity.v1.IdentityGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
                    .certify(io.meshj.api.identity.v1.CertifyRequest.newBuilder().setIdentity(web.dnsName())
                            .setToken(com.google.protobuf.ByteString.copyFromUtf8(token))
                            .setCertificateSigningRequest(com.google.protobuf.ByteString.copyFrom(
                                    io.meshj.tls.WorkloadKeys.csr(io.meshj.tls.WorkloadKeys.generate(), web)))
                            .build());
            assertThat(r.getLeafCertificate().isEmpty()).isFalse();
            assertThat(r.getIntermediateCertificatesCount()).isEqualTo(1);
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aRequestByNameCrossesTheMeshAndSurvivesTheControllerGoingAway() throws Exception {
        int outbound = Integer.parseInt(clientProxy.find(OUTBOUND));
        assertThat(LocalMeshes.curl(outbound, "web")).isEqualTo("200 hello from web\n");

        controller.close();
        controller = null;
        // For as long as the controller is down, the caller's proxy routes on what it last heard.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> LocalMeshes.curl(outbound, "web").equals("200 hello from web\n"));
        assertThat(clientProxy.isAlive()).isTrue();
    }
}
