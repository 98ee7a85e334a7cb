package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.testing.TcpServers;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opaque TCP through a proxy pair: the client's proxy detects "not HTTP" and forwards to its
 * configured TCP target; the server's proxy fronts an application on an opaque port, so it never waits
 * for the client to speak — a server-speaks-first protocol works.
 */
class TcpProxyIT {

    @TempDir
    static Path dir;

    static ServerSocket echo;
    static ServerSocket banner;
    static MeshProxy echoSidecar;
    static MeshProxy bannerSidecar;
    static MeshProxy client;
    /** An application on a port that is not opaque, and its sidecar with short detection and idle timeouts. */
    static ServerSocket quietApp;
    static MeshProxy quietSidecar;

    @BeforeAll
    static void start() throws Exception {
        echo = TcpServers.start(null);
        banner = TcpServers.start("220 banner first\r\n");
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        echoSidecar = MeshProxy.start(ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any)
                .appPorts(List.of(echo.getLocalPort())).opaquePorts(Set.of(echo.getLocalPort())).build());
        // A long detection timeout: were the opaque port detected, the banner would wait for it.
        bannerSidecar = MeshProxy.start(ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any)
                .appPorts(List.of(banner.getLocalPort())).opaquePorts(Set.of(banner.getLocalPort()))
                .detectTimeout(Duration.ofSeconds(60)).build());
        Path file = Files.writeString(dir.resolve("endpoints.yml"), "services:\n  redis.default:6379:\n    - 127.0.0.1:"
                + echoSidecar.inboundAddress().getPort() + "\n");
        quietApp = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        quietSidecar = MeshProxy.start(ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any)
                .tapListen(any).appPorts(List.of(quietApp.getLocalPort())).detectTimeout(Duration.ofMillis(500))
                .idleTimeout(Duration.ofSeconds(1)).build());
        client = MeshProxy.start(ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any)
                .discoveryFile(file).outboundTcpTarget(io.meshj.core.name.Authority.parse("redis.default:6379"))
                .build());
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        echoSidecar.close();
        bannerSidecar.close();
        quietSidecar.close();
        quietApp.close();
        echo.close();
        banner.close();
    }

    @Test
    void aConnectionSilentThroughDetectionIsForwardedThenClosedWhenBothSidesStaySilent() throws Exception {
        long start = System.nanoTime();
        try (Socket s = new Socket("127.0.0.1", quietSidecar.inboundAddress().getPort())) {
            s.setSoTimeout(10_000);
            quietApp.setSoTimeout(10_000);
            try (Socket app = quietApp.accept()) { // forwarded after the 500 ms of silence: it may speak first
                app.setSoTimeout(10_000);
                assertThat(app.getInputStream().read()).as("the application's side closes").isEqualTo(-1);
            }
            assertThat(s.getInputStream().read()).as("and the client's").isEqualTo(-1);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("detection 0.5 s + idle 1-1.5 s")
                .isLessThan(Duration.ofSeconds(8));
    }

    @Test
    void aClientThatStallsInItsRequestLineGets408AndTheApplicationNeverSeesIt() throws Exception {
        try (Socket s = new Socket("127.0.0.1", quietSidecar.inboundAddress().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GE".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 408 ").contains("meshj-proxy-error: request head timeout");
        }
        quietApp.setSoTimeout(500);
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(java.net.SocketTimeoutException.class,
                quietApp::accept)).isNotNull();
        assertThat(quietSidecar.metrics().errors(io.meshj.proxy.internal.Direction.INBOUND,
                io.meshj.proxy.internal.ProxyError.REQUEST_HEAD_TIMEOUT)).isPositive();
    }

    @Test
    void echoesThroughThePairWithHalfClose() throws Exception {
        byte[] payload = new byte[3 * 1024 * 1024];
        new java.util.Random(7).nextBytes(payload);
        payload[0] = '*'; // a RESP array marker: clearly not HTTP
        try (Socket s = new Socket("127.0.0.1", client.outboundAddress().getPort())) {
            s.setSoTimeout(20_000);
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(payload);
                    s.shutdownOutput(); // FIN travels through both proxies to the server...
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            byte[] echoed = s.getInputStream().readAllBytes(); // ...whose FIN comes back after the echo
            writer.join();
            assertThat(echoed).isEqualTo(payload);
        }
    }

    @Test
    void serverSpeaksFirstOnAnOpaquePortWithoutWaiting() throws Exception {
        try (Socket s = new Socket("127.0.0.1", bannerSidecar.inboundAddress().getPort())) {
            // Far below the sidecar's 60 s detection timeout: detection must not be in the way.
            s.setSoTimeout(10_000);
            assertThat(readLine(s.getInputStream())).isEqualTo("220 banner first");
        }
    }

    private static String readLine(InputStream in) throws java.io.IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }
}
