package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.testing.Processes;
import io.meshj.proxy.testing.ProxyProcess;
import io.meshj.proxy.testing.TestBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A slow reader downloads 256 MB through a proxy pair whose JVMs have a 48 MB heap and 32 MB of direct
 * memory: a proxy that buffered instead of pushing back would fail with OutOfMemoryError. The backend
 * writes as fast as loopback allows; curl reads at a limited rate.
 */
class SlowReaderIT {

    private static final long SIZE = 256L * 1024 * 1024;
    /** Heap and direct memory caps of each proxy JVM: far below the payload. */
    private static final List<String> SMALL_JVM = List.of("-Xmx48m", "-XX:MaxDirectMemorySize=32m",
            "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");

    @TempDir
    static Path dir;

    static TestBackend backend;
    static ProxyProcess server;
    static ProxyProcess client;

    @BeforeAll
    static void start() throws Exception {
        backend = TestBackend.start();
        server = ProxyProcess.start(dir.resolve("server.log"), SMALL_JVM, "--app-ports", Integer.toString(backend.port()));
        Path file = Files.writeString(dir.resolve("endpoints.yml"), "services:\n  web.default:80:\n"
                + "    - address: 127.0.0.1:" + backend.port() + "\n      protocol: h2\n      inboundPort: "
                + server.inboundPort() + "\n");
        client = ProxyProcess.start(dir.resolve("client.log"), SMALL_JVM, "--discovery-file", file.toString());
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        server.close();
        backend.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--http1.1", "--http2-prior-knowledge"})
    void slowReaderKeepsTheProxiesSmall(String protocol) throws Exception {
        Processes.Result r = Processes.curl(protocol, "--limit-rate", "48M", "-H", "Host: web", "-o", "/dev/null",
                "-w", "%{http_code} %{size_download}", "http://127.0.0.1:" + client.outboundPort() + "/bytes?n=" + SIZE)
                .assertSuccess();
        assertThat(r.stdout()).isEqualTo("200 " + SIZE);
        assertThat(client.isAlive()).as("client proxy alive:\n%s", client.output()).isTrue();
        assertThat(server.isAlive()).as("server proxy alive:\n%s", server.output()).isTrue();
        System.out.printf("slow reader %s: peak RSS client proxy %d MB, server proxy %d MB%n", protocol,
                client.peakRssBytes() >> 20, server.peakRssBytes() >> 20);
        // Peak RSS includes the JVM itself (code, metaspace, threads); what matters is that it is a small
        // fraction of the 256 MB that crossed, i.e. nothing was buffered.
        assertThat(client.peakRssBytes()).isLessThan(200L * 1024 * 1024);
        assertThat(server.peakRssBytes()).isLessThan(200L * 1024 * 1024);
    }
}
