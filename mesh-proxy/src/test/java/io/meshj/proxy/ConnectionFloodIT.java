package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idle HTTP/2 connections (the client preface and SETTINGS, then nothing) beyond the proxy's
 * connection limit are refused at accept, the proxy keeps those it holds, and serves again as soon as
 * the flood lets go. (The heap-sized default and 20,000 connections against the packaged sidecar are
 * measured by bench/h2-idle-flood.py, see BENCHMARKS.md.)
 */
class ConnectionFloodIT {

    private static final int LIMIT = 100;
    private static final int FLOOD = 150;

    @TempDir
    static Path dir;

    static MeshFixture mesh;

    @BeforeAll
    static void start() throws Exception {
        mesh = new MeshFixture(dir).clientConfig(b -> b.maxConnections(LIMIT)).start();
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    @Test
    void connectionsBeyondTheLimitAreRefusedAndTheProxyServesWhenTheFloodEnds() throws Exception {
        List<Socket> flood = new ArrayList<>();
        int held = 0;
        int refused = 0;
        try {
            for (int i = 0; i < FLOOD; i++) {
                Socket s = new Socket("127.0.0.1", mesh.client().outboundAddress().getPort());
                s.setSoTimeout(10_000);
                flood.add(s);
                if (held(s)) {
                    held++;
                } else {
                    refused++;
                }
            }
            assertThat(held).isEqualTo(LIMIT);
            assertThat(refused).isEqualTo(FLOOD - LIMIT);
            assertThat(mesh.client().metrics().errors(Direction.OUTBOUND, ProxyError.CONNECTION_LIMIT))
                    .isEqualTo(FLOOD - LIMIT);
        } finally {
            for (Socket s : flood) {
                s.close();
            }
        }
        // The held connections are counted out as they close; then a new client gets in.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> Processes.curl("-s", "-H", "Host: web", mesh.outboundUrl("/hello")).stdout().equals("hello\n"));
    }

    /** Sends the preface and SETTINGS: a held connection answers with the proxy's SETTINGS, a refused one is reset. */
    private static boolean held(Socket s) throws IOException {
        try {
            s.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            return s.getInputStream().read() >= 0;
        } catch (SocketException reset) {
            return false; // RST: the refusal's SO_LINGER 0
        }
    }
}
