package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.testing.integration.TestServiceImpl;
import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official gRPC interop suite through a proxy pair: {@code TestServiceClient} (its own JVM, as a
 * real peer) calls {@code TestServiceImpl} behind both proxies, one test case per run.
 */
class GrpcInteropIT {

    @TempDir
    static Path dir;

    static ScheduledExecutorService executor;
    static Server server;
    static MeshFixture mesh;

    @BeforeAll
    static void start() throws Exception {
        executor = Executors.newScheduledThreadPool(2);
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new TestServiceImpl(executor), TestServiceImpl.interceptors()))
                .build()
                .start();
        int grpcPort = server.getPort();
        mesh = new MeshFixture(dir)
                .appPort(grpcPort)
                .service("interop.default:80", "    - address: 127.0.0.1:" + grpcPort
                        + "\n      protocol: h2\n      inboundPort: %INBOUND%")
                .start();
    }

    @AfterAll
    static void stop() {
        mesh.close();
        server.shutdownNow();
        executor.shutdownNow();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "empty_unary",
        "large_unary",
        "client_streaming",
        "server_streaming",
        "ping_pong",
        "empty_stream",
        "custom_metadata",
        "status_code_and_message",
        "special_status_message",
        "unimplemented_method",
        "cancel_after_begin",
        "cancel_after_first_response",
        "timeout_on_sleeping_server",
    })
    void interopCasePassesThroughTheMesh(String testCase) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xss512k",
                "-cp", System.getProperty("java.class.path"),
                "io.grpc.testing.integration.TestServiceClient",
                "--server_host=127.0.0.1",
                "--server_port=" + mesh.client().outboundAddress().getPort(),
                "--server_host_override=interop.default",
                "--use_tls=false",
                "--test_case=" + testCase));
        long before = mesh.client().metrics().requests(Direction.OUTBOUND);
        Processes.run(Duration.ofSeconds(120), command).assertSuccess();
        // The calls really crossed the mesh. (Two cases may cancel before the client sends any HEADERS,
        // so the proxy legitimately sees nothing of them.)
        if (!testCase.equals("cancel_after_begin") && !testCase.equals("timeout_on_sleeping_server")) {
            assertThat(mesh.client().metrics().requests(Direction.OUTBOUND)).isGreaterThan(before);
        }
    }
}
