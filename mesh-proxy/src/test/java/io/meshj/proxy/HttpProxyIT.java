package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import io.meshj.proxy.testing.Processes.Result;
import io.meshj.proxy.testing.TestBackend;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HTTP/1.1 and HTTP/2 through a proxy pair, with curl as the client. */
class HttpProxyIT {

    @TempDir
    static Path dir;

    static MeshFixture mesh;

    @BeforeAll
    static void start() throws Exception {
        mesh = new MeshFixture(dir)
                .clientConfig(b -> b.requestTimeout(Duration.ofSeconds(2))
                        // One loop: every request to the server proxy shares one HTTP/2 connection.
                        .eventLoops(1))
                .start();
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    private static Result curl(String... args) throws Exception {
        return Processes.curl(args);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--http1.1", "--http2-prior-knowledge"})
    void getThroughTheMeshedPair(String protocol) throws Exception {
        mesh.backend().clearSeen();
        Result r = curl(protocol, "-i", "-H", "Host: web", mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).contains(" 200").endsWith("hello\n");
        TestBackend.Seen seen = mesh.backend().nextSeen();
        // The client's protocol reaches the application, whatever crossed between the proxies.
        assertThat(seen.protocol()).isEqualTo(protocol.equals("--http1.1") ? "HTTP/1.1" : "HTTP/2");
        // Mesh-internal headers never reach the application.
        assertThat(seen.headers()).doesNotContainKeys("meshj-orig-proto", "meshj-dst-addr");
        assertThat(seen.headers()).containsEntry("host", "web");
    }

    @Test
    void http1CrossesTheMeshAsHttp2() throws Exception {
        // The server proxy saw an HTTP/2 connection from the client proxy (its inbound TCP count stays
        // at one across several HTTP/1 requests on separate client connections).
        long before = tcpOpen(mesh.server(), "inbound");
        for (int i = 0; i < 5; i++) {
            curl("--http1.1", "-H", "Host: web", mesh.outboundUrl("/hello")).assertSuccess();
        }
        assertThat(tcpOpen(mesh.server(), "inbound") - before).isLessThanOrEqualTo(1);
    }

    @Test
    void unmeshedServiceIsDialedDirectly() throws Exception {
        Result r = curl("-i", "-H", "Host: plain.default:80", mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).contains("200").endsWith("hello\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--http1.1", "--http2-prior-knowledge"})
    void hundredMegabytesStreamBothWays(String protocol) throws Exception {
        Path input = dir.resolve("input-" + protocol.length() + ".bin");
        Path output = dir.resolve("output-" + protocol.length() + ".bin");
        writePattern(input, 100L * 1024 * 1024);
        // curl sends Expect: 100-continue for a body this large over HTTP/1.1; the backend answers it.
        Result r = curl(protocol, "-v", "-H", "Host: web", "--data-binary", "@" + input, "-H", "Content-Type: application/octet-stream",
                "-o", output.toString(), mesh.outboundUrl("/echo")).assertSuccess();
        if (protocol.equals("--http1.1")) {
            assertThat(r.stderr()).contains("HTTP/1.1 100 Continue");
        }
        assertThat(java.nio.file.Files.size(output)).isEqualTo(100L * 1024 * 1024);
        assertThat(java.nio.file.Files.mismatch(input, output)).isEqualTo(-1L);
    }

    @Test
    void chunkedUploadAndDownload() throws Exception {
        Path input = dir.resolve("chunked.bin");
        writePattern(input, 3 * 1024 * 1024 + 17);
        Path output = dir.resolve("chunked-out.bin");
        curl("--http1.1", "-H", "Host: web", "-H", "Transfer-Encoding: chunked", "-T", input.toString(),
                "-o", output.toString(), mesh.outboundUrl("/echo")).assertSuccess();
        assertThat(java.nio.file.Files.mismatch(input, output)).isEqualTo(-1L);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--http1.1", "--http2-prior-knowledge"})
    void trailersArePreserved(String protocol) throws Exception {
        Result r = curl(protocol, "-i", "--raw", "-H", "Host: web", "-H", "TE: trailers", mesh.outboundUrl("/trailers")).assertSuccess();
        assertThat(r.stdout()).contains("body").containsIgnoringCase("x-trailer: yes");
    }

    @Test
    void keepAliveReusesTheClientConnection() throws Exception {
        Result r = curl("--http1.1", "-v", "-H", "Host: web", mesh.outboundUrl("/hello"), mesh.outboundUrl("/hello"))
                .assertSuccess();
        assertThat(r.stdout()).isEqualTo("hello\nhello\n");
        assertThat(r.stderr()).contains("Re-using existing connection");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--http1.1", "--http2-prior-knowledge"})
    void errorsAreAnswersWithTheirReason(String protocol) throws Exception {
        assertError(protocol, "empty", 503, "no endpoints");
        assertError(protocol, "dead", 502, "connect failed");
        assertError(protocol, "web", "/slow?ms=5000", 504, "response timeout");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"web", "plain"})
    void aSmallBodyArrivingBeforeTheUpstreamIsReadyIsForwarded(String host) throws Exception {
        // The body lands in the same read as the head, before the upstream stream/connection exists.
        for (int i = 0; i < 5; i++) {
            Result r = curl("--http1.1", "-H", "Host: " + host, "-d", "hello " + i, mesh.outboundUrl("/echo")).assertSuccess();
            assertThat(r.stdout()).isEqualTo("hello " + i);
        }
    }

    @Test
    void pipelinedRequestsWithABodyStayInSync() throws Exception {
        String pipelined = "GET /hello HTTP/1.1\r\nHost: web\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: web\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /hello HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n";
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", mesh.client().outboundAddress().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(pipelined.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            assertThat(all.split("HTTP/1.1 200 OK", -1)).hasSize(4);
            assertThat(all).containsSubsequence("hello\n", "abc", "hello\n");
        }
    }

    @Test
    void anEmptyHttp2ResponseReachesAnHttp1ClientWithItsLength() throws Exception {
        Result r = curl("--http1.1", "-i", "-H", "Host: h2direct", mesh.outboundUrl("/empty")).assertSuccess();
        assertThat(r.stdout()).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: 0");
    }

    @Test
    void anEarlyHttp2AnswerArrivesWholeBeforeTheReset() throws Exception {
        Path body = dir.resolve("early.bin");
        writePattern(body, 300_000);
        Result r = curl("--http2-prior-knowledge", "-i", "-H", "Host: empty", "--data-binary", "@" + body,
                mesh.outboundUrl("/upload")).assertSuccess();
        assertThat(r.stdout()).startsWith("HTTP/2 503").contains("no endpoints");
    }

    @Test
    void aStuckStreamDoesNotStallOthersOnItsConnection() throws Exception {
        // One HTTP/2 connection to the proxy (Netty's client, since curl will not multiplex uploads
        // reliably), two streams: an upload the application never reads, then an echo. The stuck
        // stream's unread data must not use up the connection's flow-control window.
        // Its own pair: no request timeout (which would end the stuck stream and hide a stall), one loop.
        java.nio.file.Path own = java.nio.file.Files.createDirectories(dir.resolve("stuck"));
        io.netty.channel.EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                io.netty.channel.nio.NioIoHandler.newFactory());
        try (MeshFixture pair = new MeshFixture(own)
                .clientConfig(b -> b.eventLoops(1).shutdownGracePeriod(Duration.ofSeconds(1)))
                .serverConfig(b -> b.shutdownGracePeriod(Duration.ofSeconds(1)))
                .start()) {
            io.netty.channel.Channel conn = new io.netty.bootstrap.Bootstrap().group(group)
                    .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
                    .handler(new io.netty.channel.ChannelInitializer<io.netty.channel.Channel>() {
                        @Override
                        protected void initChannel(io.netty.channel.Channel ch) {
                            ch.pipeline().addLast(io.netty.handler.codec.http2.Http2FrameCodecBuilder.forClient().build());
                            ch.pipeline().addLast(new io.netty.handler.codec.http2.Http2MultiplexHandler(
                                    new io.netty.channel.ChannelInboundHandlerAdapter()));
                        }
                    })
                    .connect("127.0.0.1", pair.client().outboundAddress().getPort()).sync().channel();
            java.util.concurrent.CompletableFuture<Long> echoed = new java.util.concurrent.CompletableFuture<>();
            java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
            io.netty.handler.codec.http2.Http2StreamChannel stuck = openStream(conn, null, null);
            io.netty.handler.codec.http2.Http2StreamChannel echo = openStream(conn, received, echoed);
            stuck.writeAndFlush(post("/stall", 4 * 1024 * 1024, false));
            // Feed the stuck upload until the proxy stops taking it (its stream window is full).
            byte[] chunk = new byte[16 * 1024];
            for (int i = 0; i < 256 && stuck.isWritable(); i++) {
                stuck.writeAndFlush(new io.netty.handler.codec.http.DefaultHttpContent(io.netty.buffer.Unpooled.wrappedBuffer(chunk)));
            }
            echo.writeAndFlush(post("/echo", 300_000, true));
            assertThat(echoed.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(300_000L);
            conn.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    private static io.netty.handler.codec.http2.Http2StreamChannel openStream(io.netty.channel.Channel conn,
            java.util.concurrent.atomic.AtomicLong received, java.util.concurrent.CompletableFuture<Long> done)
            throws InterruptedException {
        return new io.netty.handler.codec.http2.Http2StreamChannelBootstrap(conn)
                .handler(new io.netty.channel.ChannelInitializer<io.netty.handler.codec.http2.Http2StreamChannel>() {
                    @Override
                    protected void initChannel(io.netty.handler.codec.http2.Http2StreamChannel ch) {
                        ch.pipeline().addLast(new io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec(false));
                        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                                if (received != null && msg instanceof io.netty.handler.codec.http.HttpContent c) {
                                    received.addAndGet(c.content().readableBytes());
                                    if (msg instanceof io.netty.handler.codec.http.LastHttpContent) {
                                        done.complete(received.get());
                                    }
                                }
                                io.netty.util.ReferenceCountUtil.release(msg);
                            }
                        });
                    }
                })
                .open().sync().getNow();
    }

    /** A POST head for {@code size} bytes; with {@code whole}, the body and end follow at once. */
    private static Object post(String path, int size, boolean whole) {
        io.netty.handler.codec.http.HttpHeaders h = new io.netty.handler.codec.http.DefaultHttpHeaders()
                .set("host", "web").set("content-length", size);
        if (!whole) {
            return new io.netty.handler.codec.http.DefaultHttpRequest(io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                    io.netty.handler.codec.http.HttpMethod.POST, path, h);
        }
        return new io.netty.handler.codec.http.DefaultFullHttpRequest(io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                io.netty.handler.codec.http.HttpMethod.POST, path, io.netty.buffer.Unpooled.wrappedBuffer(new byte[size]), h,
                io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
    }

    @Test
    void aRequestNamingTheProxyItselfIsRefusedNotLooped() throws Exception {
        int port = mesh.client().outboundAddress().getPort();
        Result r = curl("-i", "-H", "Host: 127.0.0.1:" + port, mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).startsWith("HTTP/1.1 502").contains("meshj-proxy-error: request would loop back into the proxy");
    }

    @Test
    void grpcRequestsGetGrpcStatuses() throws Exception {
        Result r = curl("--http2-prior-knowledge", "-i", "-H", "Host: empty", "-H", "content-type: application/grpc",
                "-H", "te: trailers", "--data-binary", "", mesh.outboundUrl("/pkg.Service/Method")).assertSuccess();
        assertThat(r.stdout()).contains("HTTP/2 200").contains("grpc-status: 14")
                .contains("grpc-message: no endpoints").contains("meshj-proxy-error: no endpoints");
    }

    @Test
    void upstreamStatusesPassThrough() throws Exception {
        Result r = curl("-i", "-H", "Host: web", mesh.outboundUrl("/status?code=418")).assertSuccess();
        assertThat(r.stdout()).startsWith("HTTP/1.1 418").doesNotContain("meshj-proxy-error");
    }

    private static void assertError(String protocol, String host, int status, String reason) throws Exception {
        assertError(protocol, host, "/hello", status, reason);
    }

    private static void assertError(String protocol, String host, String path, int status, String reason) throws Exception {
        Result r = curl(protocol, "-i", "-H", "Host: " + host, mesh.outboundUrl(path)).assertSuccess();
        assertThat(r.stdout()).as("%s %s", host, protocol).contains(" " + status).contains("meshj-proxy-error: " + reason);
    }

    private static long tcpOpen(MeshProxy proxy, String direction) {
        return metric(proxy, "tcp_open_total", direction);
    }

    /** The sum of {@code name}'s series in {@code direction}. */
    private static long metric(MeshProxy proxy, String name, String direction) {
        String metrics = proxy.metrics().scrape();
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + "{") && line.contains("direction=\"" + direction + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) sum;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--http1.1", "--http2-prior-knowledge"})
    void aClientThatClosesLeavesNoConnectionBehind(String protocol) throws Exception {
        // Listeners allow half-closed connections (for opaque TCP): the HTTP handlers must close the
        // proxy's side themselves when the client closes, or it stays in CLOSE_WAIT for good.
        long before = metric(mesh.client(), "tcp_open_connections", "outbound");
        curl(protocol, "-H", "Host: web", mesh.outboundUrl("/hello")).assertSuccess();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> metric(mesh.client(), "tcp_open_connections", "outbound") <= before);
    }

    @Test
    void aClientThatHalfClosesAfterItsRequestGetsTheAnswerThenTheClose() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", mesh.client().outboundAddress().getPort())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("GET /hello HTTP/1.1\r\nHost: web\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            // readAllBytes returns at the proxy's close; a proxy that kept the connection open would
            // time out here.
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 200").endsWith("hello\n");
        }
    }

    static void writePattern(Path file, long size) throws java.io.IOException {
        byte[] block = new byte[1 << 16];
        new java.util.Random(size).nextBytes(block);
        try (var out = java.nio.file.Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                left -= n;
            }
        }
    }
}
