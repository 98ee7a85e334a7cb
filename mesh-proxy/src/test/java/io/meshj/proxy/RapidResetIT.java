package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rapid-reset attack (CVE-2023-44487) spread over many connections, with hand-built frames on real
 * sockets: each connection sends HEADERS and RST_STREAM for 150 streams (under Netty's per-connection
 * limit of 200 resets) in one write, then one ordinary request whose answer says the proxy has read
 * everything before it. Requests that were reset before the proxy could act must not reach the backend,
 * and everyone else is still served.
 */
class RapidResetIT {

    private static final int CONNECTIONS = 50;
    private static final int STREAMS = 150;

    @TempDir
    static Path dir;

    static MeshFixture mesh;

    @BeforeAll
    static void start() throws Exception {
        mesh = new MeshFixture(dir).start();
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    @Test
    void streamsResetAsTheyOpenNeverReachTheBackend() throws Exception {
        mesh.backend().clearSeen();
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int c = 0; c < CONNECTIONS; c++) {
                Socket s = new Socket("127.0.0.1", mesh.client().outboundAddress().getPort());
                s.setSoTimeout(20_000);
                sockets.add(s);
                ByteArrayOutputStream attack = new ByteArrayOutputStream();
                attack.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                frame(attack, 0x4, 0, 0, new byte[0]); // SETTINGS
                int id = 1;
                for (int i = 0; i < STREAMS; i++, id += 2) {
                    frame(attack, 0x1, 0x5, id, getHello()); // HEADERS, END_STREAM | END_HEADERS
                    frame(attack, 0x3, 0, id, new byte[] {0, 0, 0, 8}); // RST_STREAM CANCEL
                }
                frame(attack, 0x1, 0x5, id, getHello()); // the last one is a real request
                s.getOutputStream().write(attack.toByteArray());
                s.getOutputStream().flush();
            }
            for (Socket s : sockets) {
                awaitResponseHeaders(s, 2 * STREAMS + 1);
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        int reached = mesh.backend().seenCount();
        assertThat(reached).as("of %d requests reset as they opened, and %d real ones", CONNECTIONS * STREAMS, CONNECTIONS)
                .isLessThanOrEqualTo(CONNECTIONS + CONNECTIONS * STREAMS / 100);
        Processes.Result r = Processes.curl("-H", "Host: web", mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).isEqualTo("hello\n");
    }

    /** A GET /hello for authority "web": HPACK static-table indexes and literals without Huffman coding. */
    private static byte[] getHello() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x82); // :method GET
        b.write(0x86); // :scheme http
        b.write(0x04); // :path, literal without indexing
        b.write(6);
        b.writeBytes("/hello".getBytes(StandardCharsets.US_ASCII));
        b.write(0x01); // :authority, literal without indexing
        b.write(3);
        b.writeBytes("web".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    private static void frame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.writeBytes(payload);
    }

    /** Reads frames until HEADERS on {@code stream} arrive: every frame sent before its request was processed. */
    private static void awaitResponseHeaders(Socket s, int stream) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        while (true) {
            int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            in.readUnsignedByte();
            int id = in.readInt() & 0x7fff_ffff;
            in.skipNBytes(length);
            if (type == 0x1 && id == stream) {
                return;
            }
            if (type == 0x7) {
                throw new AssertionError("GOAWAY before the last request was answered");
            }
        }
    }
}
