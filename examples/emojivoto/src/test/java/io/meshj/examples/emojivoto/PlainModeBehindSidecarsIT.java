package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshj.proxy.MeshProxy;
import io.meshj.proxy.ProxyConfig;
import io.meshj.proxy.ProxyConfigBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plain mode as deployed: every service behind real meshj sidecars, none of them aware of the mesh.
 *
 * <p>The web service dials its sidecar's outbound listener and names {@code emoji-svc.emojivoto:8081}
 * and {@code voting-svc.emojivoto:8082} in {@code :authority}; the vote-bot connects to its sidecar
 * and names {@code web-svc.emojivoto:8083} in {@code Host}. Discovery is a static file. Because a
 * sidecar's application ports must be known when it starts, and the web service must know its
 * sidecar's address when it starts, the web "pod" has one sidecar for its outbound calls and another
 * in front of it; emoji and voting share one.
 */
class PlainModeBehindSidecarsIT {

    private static final String WEB = "web-svc.emojivoto:8083";

    @TempDir
    Path dir;

    private final List<AutoCloseable> started = new ArrayList<>();
    private MeshProxy botSidecar;
    private MeshProxy webOutbound;
    private VoteBot bot;

    @BeforeEach
    void start() throws IOException {
        GrpcApp emoji = started(GrpcApp.start("emoji", new PlainNetwork(Optional.empty()), "127.0.0.1", 0, new EmojiService()));
        GrpcApp voting = started(GrpcApp.start("voting", new PlainNetwork(Optional.empty()), "127.0.0.1", 0, new VotingService()));
        MeshProxy backendsSidecar = started(MeshProxy.start(sidecar().appPorts(List.of(emoji.port(), voting.port())).build()));
        int backendsInbound = backendsSidecar.inboundAddress().getPort();
        Path backends = Files.writeString(dir.resolve("backends.yml"), "services:\n"
                + meshedGrpc("emoji-svc.emojivoto:8081", emoji.port(), backendsInbound)
                + meshedGrpc("voting-svc.emojivoto:8082", voting.port(), backendsInbound));

        webOutbound = started(MeshProxy.start(sidecar().discoveryFile(backends).build()));
        WebApp web = started(WebApp.start(new PlainNetwork(Optional.of(hostPort(webOutbound.outboundAddress()))),
                "127.0.0.1", 0, "emoji-svc.emojivoto:8081", "voting-svc.emojivoto:8082"));
        MeshProxy webInbound = started(MeshProxy.start(sidecar().appPorts(List.of(web.address().getPort())).build()));
        Path frontends = Files.writeString(dir.resolve("frontends.yml"), "services:\n"
                + "  " + WEB + ":\n"
                + "    - address: 127.0.0.1:" + web.address().getPort() + "\n"
                + "      inboundPort: " + webInbound.inboundAddress().getPort() + "\n");

        botSidecar = started(MeshProxy.start(sidecar().discoveryFile(frontends).build()));
        bot = started(VoteBot.start(new Http1Client(hostPort(botSidecar.outboundAddress()), WEB, Duration.ofSeconds(5)),
                WEB, new VoteChooser(new Random(11)), 2, Duration.ofMillis(20)));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    @Test
    void votesFlowThroughTheSidecarsAndTheDoughnutsFailuresShowInTheirMetrics() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> bot.votes() >= 20 && bot.failures() >= 2);

        Http1Client viaSidecar = new Http1Client(hostPort(botSidecar.outboundAddress()), WEB, Duration.ofSeconds(5));
        Http1Client.Response leaderboard = viaSidecar.get("/api/leaderboard");
        assertThat(leaderboard.status()).isEqualTo(200);
        assertThat(Json.parse(leaderboard.body())).asInstanceOf(InstanceOfAssertFactories.LIST).isNotEmpty();
        assertThat(viaSidecar.get("/api/vote?choice=:doughnut:").status()).isEqualTo(500);

        // The bot's sidecar saw HTTP 500s from web; the web's sidecar saw gRPC UNKNOWN (2) from voting.
        assertThat(metrics(botSidecar)).anySatisfy(line -> assertThat(line)
                .startsWith("response_total{").contains("direction=\"outbound\"", "status_code=\"500\""));
        assertThat(metrics(webOutbound)).anySatisfy(line -> assertThat(line)
                .startsWith("response_total{").contains("direction=\"outbound\"", "grpc_status=\"2\""));
    }

    private static List<String> metrics(MeshProxy proxy) throws IOException, InterruptedException {
        HttpResponse<String> scrape = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);
        return scrape.body().lines().toList();
    }

    private static String meshedGrpc(String service, int appPort, int inboundPort) {
        return "  " + service + ":\n"
                + "    - address: 127.0.0.1:" + appPort + "\n"
                + "      protocol: h2\n"
                + "      inboundPort: " + inboundPort + "\n";
    }

    private static ProxyConfigBuilder sidecar() {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        return ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any).eventLoops(1);
    }

    private static Options.HostPort hostPort(InetSocketAddress address) {
        return Options.HostPort.of(address);
    }

    private <T extends AutoCloseable> T started(T closeable) {
        started.add(closeable);
        return closeable;
    }
}
