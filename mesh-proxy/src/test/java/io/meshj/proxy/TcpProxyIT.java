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
        client = MeshProxy.start(ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any)
                .discoveryFile(file).outboundTcpTarget(io.meshj.core.name.Authority.parse("redis.default:6379"))
                .build());
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        echoSidecar.close();
        bannerSidecar.close();
        echo.close();
        banner.close();
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
