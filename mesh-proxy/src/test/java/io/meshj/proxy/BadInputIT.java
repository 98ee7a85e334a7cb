package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and broken clients get an answer or a timeout, and the proxy keeps serving everyone else:
 * after every test a normal request through the same proxy must succeed.
 */
class BadInputIT {

    @TempDir
    static Path dir;

    static MeshFixture mesh;
    /** Accepts connections (the kernel completes the handshake) and never says a word. */
    static java.net.ServerSocket mute;
    /** Speaks HTTP/1 only: answers anything, the HTTP/2 preface included, with a 400 and closes. */
    static java.net.ServerSocket http1Only;

    @BeforeAll
    static void start() throws Exception {
        mute = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        http1Only = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread answering = new Thread(() -> {
            while (!http1Only.isClosed()) {
                try (Socket s = http1Only.accept()) {
                    s.getInputStream().read(new byte[1024]);
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // closed at the end of the class, or a client gone: next one
                }
            }
        }, "http1-only");
        answering.setDaemon(true);
        answering.start();
        mesh = new MeshFixture(dir)
                .service("mute.default:80", "    - address: 127.0.0.1:" + mute.getLocalPort() + "\n      protocol: h2")
                .service("silent.default:80", "    - address: 127.0.0.1:" + mute.getLocalPort())
                .service("old.default:80", "    - address: 127.0.0.1:" + http1Only.getLocalPort() + "\n      protocol: h2")
                .clientConfig(b -> b.headerReadTimeout(Duration.ofMillis(500)).idleTimeout(Duration.ofSeconds(2))
                        .detectTimeout(Duration.ofSeconds(1)).responseHeadTimeout(Duration.ofSeconds(3)))
                .start();
    }

    @AfterAll
    static void stop() throws IOException {
        mesh.close();
        mute.close();
        http1Only.close();
    }

    @Test
    void anIdleHttp2ConnectionIsClosedWithGoAway() throws Exception {
        // The client proxy's idle timeout here is 2 s: a connection that sent its preface and SETTINGS
        // and then nothing is closed (after a GOAWAY) within two periods.
        try (Socket socket = new Socket("127.0.0.1", mesh.client().outboundAddress().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // an empty SETTINGS frame
            socket.getOutputStream().flush();
            long start = System.nanoTime();
            byte[] all = socket.getInputStream().readAllBytes(); // returns at the proxy's close
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(9));
            assertThat(containsFrameOfType(all, (byte) 0x7)).as("a GOAWAY frame before the close").isTrue();
        }
    }

    /** Whether the HTTP/2 frames in {@code bytes} (after none of a preface: the server sends none) include one of {@code type}. */
    private static boolean containsFrameOfType(byte[] bytes, byte type) {
        int i = 0;
        while (i + 9 <= bytes.length) {
            int length = ((bytes[i] & 0xff) << 16) | ((bytes[i + 1] & 0xff) << 8) | (bytes[i + 2] & 0xff);
            if (bytes[i + 3] == type) {
                return true;
            }
            i += 9 + length;
        }
        return false;
    }

    @Test
    void anUpstreamThatNeverSpeaksHttp2IsAConnectFailureNotAHang() throws Exception {
        // The proxy waits for an HTTP/2 upstream's SETTINGS before opening streams; a peer that never
        // sends them gets the connect timeout (1 s by default), then the request its 502.
        Processes.Result r = Processes.curl("-i", "-H", "Host: mute", mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).startsWith("HTTP/1.1 502").contains("meshj-proxy-error: connect failed\r\n")
                .as("the backend's address and the library's words are the operator's, in the log")
                .doesNotContain("127.0.0.1").doesNotContain("SETTINGS");
    }

    @Test
    void anHttp1BackendThatAcceptsAndNeverAnswersGetsA504() throws Exception {
        long start = System.nanoTime();
        Processes.Result r = Processes.curl("-i", "-H", "Host: silent", mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).startsWith("HTTP/1.1 504").contains("meshj-proxy-error: response timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(9));
    }

    @Test
    void anUpstreamThatAnswersHttp2WithHttp1SaysSo() throws Exception {
        Processes.Result r = Processes.curl("-i", "-H", "Host: old", mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).startsWith("HTTP/1.1 502")
                .contains("meshj-proxy-error: upstream does not speak HTTP/2 (it answered the connection preface with HTTP/1)");
        assertThat(mesh.client().metrics().errors(Direction.OUTBOUND, ProxyError.UPSTREAM_NOT_HTTP2)).isPositive();
    }

    @AfterEach
    void proxyStillServes() throws Exception {
        Processes.Result r = Processes.curl("-H", "Host: web", mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).isEqualTo("hello\n");
    }

    @Test
    void garbageBytesAreForwardedNowhereAndClosed() throws Exception {
        byte[] garbage = new byte[4096];
        new java.util.Random(3).nextBytes(garbage);
        garbage[0] = 0x16; // looks like TLS, is not HTTP
        String reply = exchange(garbage);
        // Opaque, and this proxy has no TCP target: the connection is closed without a byte.
        assertThat(reply).isEmpty();
        assertThat(mesh.client().metrics().errors(Direction.OUTBOUND, ProxyError.NO_AUTHORITY)).isPositive();
    }

    @Test
    void malformedHeaderIs400() throws Exception {
        assertThat(exchange("GET /hello HTTP/1.1\r\nHost: web\r\nBad Header Line\r\n\r\n"))
                .startsWith("HTTP/1.1 400 ").contains("meshj-proxy-error: malformed request");
    }

    @Test
    void megabyteRequestLineIs414() throws Exception {
        String line = "GET /" + "a".repeat(1024 * 1024) + " HTTP/1.1\r\nHost: web\r\n\r\n";
        assertThat(exchange(line)).startsWith("HTTP/1.1 414 ").contains("connection: close");
    }

    @Test
    void tenThousandHeadersAre431() throws Exception {
        StringBuilder b = new StringBuilder("GET /hello HTTP/1.1\r\nHost: web\r\n");
        for (int i = 0; i < 10_000; i++) {
            b.append("X-Header-").append(i).append(": value\r\n");
        }
        assertThat(exchange(b.append("\r\n").toString())).startsWith("HTTP/1.1 431 ");
    }

    @Test
    void connectIsRefusedAndTheConnectionStaysUsable() throws Exception {
        String reply = exchange("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
                + "GET /hello HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n");
        assertThat(reply).startsWith("HTTP/1.1 501 ").contains("method not supported: CONNECT")
                .contains("HTTP/1.1 200 OK").endsWith("hello\n");
    }

    @Test
    void aPartialPipelinedHeadDoesNotHoldTheConnectionForever() throws Exception {
        // The second head arrives, incomplete, in the same read as the first request: the connection is
        // closed by the idle timeout (2 s here) after the first answer. exchange() fails after 10 s
        // if the proxy neither answers nor closes.
        assertThat(exchange("GET /hello HTTP/1.1\r\nHost: web\r\n\r\nGET /hello HTTP/1.1\r\nX-A: b"))
                .startsWith("HTTP/1.1 200 OK").endsWith("hello\n");
    }

    @Test
    void aPipelinedHeadStalledInALaterReadGets408() throws Exception {
        try (Socket s = new Socket("127.0.0.1", mesh.client().outboundAddress().getPort())) {
            s.setSoTimeout(10_000);
            mesh.backend().clearSeen();
            s.getOutputStream().write("GET /slow?ms=300 HTTP/1.1\r\nHost: web\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            // While the first request is in flight, half of the next head (a separate read).
            assertThat(mesh.backend().nextSeen().uri()).isEqualTo("/slow?ms=300");
            s.getOutputStream().write("GET /hello HTTP/1.1\r\nX-A: b".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(all).startsWith("HTTP/1.1 200 OK").contains("HTTP/1.1 408 ");
        }
    }

    @Test
    void halfARequestThenSilenceIs408() throws Exception {
        assertThat(exchange("GET /hello HTTP/1.1\r\nHost: we")).startsWith("HTTP/1.1 408 ")
                .contains("meshj-proxy-error: request head timeout");
    }

    @Test
    void http2HeaderListOverTheLimitIs431() throws Exception {
        // Well-behaved HTTP/2 clients (curl's nghttp2) refuse to exceed the limit the proxy advertises, so
        // the frames are written by hand: preface, SETTINGS, then a 70 KB header block in HEADERS +
        // CONTINUATION frames (Netty's frame writer, with no limit configured).
        io.netty.channel.embedded.EmbeddedChannel wire = new io.netty.channel.embedded.EmbeddedChannel(
                new io.netty.channel.ChannelInboundHandlerAdapter());
        io.netty.channel.ChannelHandlerContext ctx = wire.pipeline().firstContext();
        io.netty.handler.codec.http2.DefaultHttp2FrameWriter writer = new io.netty.handler.codec.http2.DefaultHttp2FrameWriter();
        io.netty.handler.codec.http2.Http2Headers headers = new io.netty.handler.codec.http2.DefaultHttp2Headers()
                .method("GET").path("/hello").scheme("http").authority("web")
                .add("x-big", "b".repeat(70_000));
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        bytes.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        writer.writeSettings(ctx, new io.netty.handler.codec.http2.Http2Settings(), ctx.newPromise());
        writer.writeHeaders(ctx, 1, headers, 0, true, ctx.newPromise());
        wire.flush();
        Object out;
        while ((out = wire.readOutbound()) != null) {
            io.netty.buffer.ByteBuf buf = (io.netty.buffer.ByteBuf) out;
            bytes.write(io.netty.buffer.ByteBufUtil.getBytes(buf));
            buf.release();
        }
        writer.close();
        wire.finishAndReleaseAll();

        byte[] reply = exchangeBytes(bytes.toByteArray(), Duration.ofSeconds(3));
        java.util.List<io.netty.handler.codec.http2.Http2Headers> received = new java.util.ArrayList<>();
        io.netty.channel.embedded.EmbeddedChannel reading = new io.netty.channel.embedded.EmbeddedChannel(
                new io.netty.channel.ChannelInboundHandlerAdapter());
        try (io.netty.handler.codec.http2.DefaultHttp2FrameReader reader = new io.netty.handler.codec.http2.DefaultHttp2FrameReader()) {
            io.netty.buffer.ByteBuf in = io.netty.buffer.Unpooled.wrappedBuffer(reply);
            while (in.isReadable()) {
                int before = in.readableBytes();
                reader.readFrame(reading.pipeline().firstContext(), in, new io.netty.handler.codec.http2.Http2FrameAdapter() {
                    @Override
                    public void onHeadersRead(io.netty.channel.ChannelHandlerContext c, int streamId,
                            io.netty.handler.codec.http2.Http2Headers h, int padding, boolean endOfStream) {
                        received.add(h);
                    }
                });
                if (in.readableBytes() == before) {
                    break; // a partial frame at the end
                }
            }
        }
        reading.finishAndReleaseAll();
        assertThat(received).extracting(h -> String.valueOf(h.status())).contains("431");
    }

    @Test
    void http2GarbageAfterThePrefaceEndsTheConnection() throws Exception {
        byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] junk = new byte[64];
        java.util.Arrays.fill(junk, (byte) 0xff);
        byte[] all = new byte[preface.length + junk.length];
        System.arraycopy(preface, 0, all, 0, preface.length);
        System.arraycopy(junk, 0, all, preface.length, junk.length);
        // The peer answers with its SETTINGS and a GOAWAY, then closes: exchange() reads to the end.
        String reply = exchange(all);
        assertThat(reply).isNotEmpty();
    }

    /** Sends {@code request} on a fresh connection and reads until the proxy closes it (10 s at most). */
    private static String exchange(String request) throws IOException {
        return exchange(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String exchange(byte[] request) throws IOException {
        return new String(exchangeBytes(request, null), StandardCharsets.ISO_8859_1);
    }

    /**
     * Sends {@code request} and reads until the proxy closes the connection, or, with {@code quiet},
     * until it has been silent that long (an HTTP/2 connection stays open after a stream error).
     */
    private static byte[] exchangeBytes(byte[] request, Duration quiet) throws IOException {
        try (Socket s = new Socket("127.0.0.1", mesh.client().outboundAddress().getPort())) {
            s.setSoTimeout(quiet == null ? 10_000 : (int) quiet.toMillis());
            try {
                s.getOutputStream().write(request);
                s.getOutputStream().flush();
            } catch (IOException e) {
                // The proxy may answer and close before taking all of a huge request: read what it said.
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) != -1) {
                    out.write(buf, 0, n);
                }
            } catch (SocketTimeoutException e) {
                if (quiet == null) {
                    throw new AssertionError("the proxy neither answered nor closed within 10 s; got: " + out, e);
                }
            } catch (IOException e) {
                // reset after the answer: fine
            }
            return out.toByteArray();
        }
    }
}
