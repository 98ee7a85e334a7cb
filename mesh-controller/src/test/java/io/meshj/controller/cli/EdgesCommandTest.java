package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.meshj.api.metrics.v1.Edge;
import io.meshj.api.metrics.v1.EdgesRequest;
import io.meshj.api.metrics.v1.EdgesResponse;
import io.meshj.api.metrics.v1.MetricsGrpc;
import io.meshj.api.metrics.v1.StatRequest;
import io.meshj.api.metrics.v1.StatResponse;
import io.meshj.api.metrics.v1.StatRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshj edges} and {@code meshj stat}'s --to/--from and -o wide against a fake Metrics service
 * on a loopback port: what the CLI asks, and exactly what it prints.
 */
class EdgesCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final AtomicReference<EdgesRequest> edgesAsked = new AtomicReference<>();
    private final AtomicReference<StatRequest> statAsked = new AtomicReference<>();
    private Server server;
    private String destination;

    @BeforeEach
    void start() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new MetricsGrpc.MetricsImplBase() {
            @Override
            public void edges(EdgesRequest request, StreamObserver<EdgesResponse> responses) {
                edgesAsked.set(request);
                if (request.getResourceType().equals("job")) {
                    responses.onError(Status.INVALID_ARGUMENT.withDescription("unknown resource type \"job\"").asRuntimeException());
                    return;
                }
                responses.onNext(EdgesResponse.newBuilder()
                        .addEdges(Edge.newBuilder().setSrcNamespace("default").setSrc("vote-bot").setDstNamespace("default")
                                .setDst("web").setSecured(true).setClientId("vote-bot.default.serviceaccount.identity.meshj.cluster.local")
                                .setServerId("web.default.serviceaccount.identity.meshj.cluster.local"))
                        .addEdges(Edge.newBuilder().setSrcNamespace("default").setSrc("web").setDstNamespace("legacy")
                                .setDst("db").setSecured(false).setNoTlsReason("not_provided_by_service_discovery"))
                        .build());
                responses.onCompleted();
            }

            @Override
            public void stat(StatRequest request, StreamObserver<StatResponse> responses) {
                statAsked.set(request);
                responses.onNext(StatResponse.newBuilder().addRows(StatRow.newBuilder().setNamespace("default").setName("web")
                        .setMeshedPods(1).setPods(1).setHasTraffic(true).setSuccessRate(0.75).setRequestsPerSecond(40)
                        .setLatencyP50Ms(2).setLatencyP95Ms(9).setLatencyP99Ms(10).setTcpConnections(3)
                        .setReadBytesPerSecond(1234.56).setWriteBytesPerSecond(0)).build());
                responses.onCompleted();
            }
        }).build().start();
        destination = "127.0.0.1:" + server.getPort();
    }

    @AfterEach
    void stop() {
        server.shutdownNow();
    }

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void edgesPrintsLinkerdsColumnsAndMarks() {
        assertThat(run("edges", "deploy", "--destination", destination)).isZero();
        assertThat(out.toString().lines()).containsExactly(
                "SRC        DST   SRC_NS    DST_NS    SECURED",
                "vote-bot   web   default   default   √",
                "web        db    default   legacy    ×");
        assertThat(edgesAsked.get()).isEqualTo(EdgesRequest.newBuilder().setNamespace("default").setResourceType("deploy").build());
    }

    @Test
    void edgesWideAddsTheIdentitiesAndWhyNotSecured() {
        assertThat(run("edges", "deploy/web", "-A", "-o", "wide", "--destination", destination)).isZero();
        assertThat(out.toString().lines()).containsExactly(
                "SRC        DST   SRC_NS    DST_NS    SECURED   CLIENT_ID                                                      SERVER_ID                                                 MSG",
                "vote-bot   web   default   default   √         vote-bot.default.serviceaccount.identity.meshj.cluster.local   web.default.serviceaccount.identity.meshj.cluster.local",
                "web        db    default   legacy    ×         -                                                              -                                                         not_provided_by_service_discovery");
        assertThat(edgesAsked.get().getNamespace()).isEmpty();
        assertThat(edgesAsked.get().getResourceName()).isEqualTo("web");
    }

    @Test
    void edgesJsonHasLinkerdsKeys() {
        assertThat(run("edges", "deploy", "-o", "json", "--destination", destination)).isZero();
        assertThat(out.toString()).contains("\"src\": \"vote-bot\"").contains("\"dst_namespace\": \"legacy\"")
                .contains("\"no_tls_reason\": \"not_provided_by_service_discovery\"");
    }

    @Test
    void usageErrorsAreOneLineNamingTheValueWithExitCode2() {
        assertThat(run("edges", "job", "--destination", destination)).isEqualTo(2);
        assertThat(err.toString()).startsWith("meshj: unknown resource type \"job\"\n");
        err.getBuffer().setLength(0);
        assertThat(run("edges", "deploy", "-o", "yaml", "--destination", destination)).isEqualTo(2);
        assertThat(err.toString()).startsWith("meshj: -o yaml: use table, wide or json\n");
        err.getBuffer().setLength(0);
        assertThat(run("stat", "deploy", "--to", "deploy/web", "--from", "deploy/bot", "--destination", destination)).isEqualTo(2);
        assertThat(err.toString()).startsWith("meshj: --to and --from cannot be used together\n");
        err.getBuffer().setLength(0);
        assertThat(run("stat", "deploy", "--to", "deploy/", "--destination", destination)).isEqualTo(2);
        assertThat(err.toString()).startsWith("meshj: --to deploy/: expected TYPE or TYPE/NAME, e.g. deploy/web\n");
        err.getBuffer().setLength(0);
        assertThat(run("stat", "deploy", "--from-namespace", "x", "--destination", destination)).isEqualTo(2);
        assertThat(err.toString()).startsWith("meshj: --from-namespace x: needs --from\n");
        assertThat(statAsked.get()).isNull();
    }

    @Test
    void statToAndFromAskForThePeerAndWideShowsByteRates() {
        assertThat(run("stat", "deploy", "--to", "deploy/web", "--to-namespace", "prod", "-o", "wide",
                "--destination", destination)).isZero();
        assertThat(statAsked.get().getTo().getType()).isEqualTo("deploy");
        assertThat(statAsked.get().getTo().getName()).isEqualTo("web");
        assertThat(statAsked.get().getTo().getNamespace()).isEqualTo("prod");
        assertThat(statAsked.get().hasFrom()).isFalse();
        assertThat(out.toString().lines()).containsExactly(
                "NAMESPACE   NAME   MESHED   SUCCESS       RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99   TCP_CONN   READ_BYTES/SEC   WRITE_BYTES/SEC",
                "default     web       1/1    75.00%   40.0rps           2ms           9ms          10ms          3        1234.6B/s            0.0B/s");

        assertThat(run("stat", "deploy", "--from", "deploy/vote-bot", "--destination", destination)).isZero();
        assertThat(statAsked.get().getFrom().getName()).isEqualTo("vote-bot");
        assertThat(statAsked.get().getFrom().getNamespace()).isEmpty();
        assertThat(statAsked.get().hasTo()).isFalse();
    }
}
