package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.WebSocketEchoServer;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WebSocket session through the proxy pair: the upgrade handshake is relayed as HTTP/1.1 (even
 * though the endpoint is meshed and plain requests would cross as HTTP/2), and after the 101 the
 * proxies relay bytes. Client and server are Netty's WebSocket codecs; the client names the service in
 * its Host header, as an application talking through its sidecar does.
 */
class WebSocketIT {

    @TempDir
    static Path dir;

    static WebSocketEchoServer echo;
    static GreetingServer greeting;
    static MeshFixture mesh;
    static EventLoopGroup clientGroup;

    @BeforeAll
    static void start() throws Exception {
        echo = WebSocketEchoServer.start();
        greeting = new GreetingServer();
        mesh = new MeshFixture(dir)
                .appPort(echo.port())
                .service("ws.default:80", "    - address: 127.0.0.1:" + echo.port()
                        + "\n      protocol: h2\n      inboundPort: %INBOUND%")
                .appPort(greeting.port())
                .service("greeting.default:80", "    - address: 127.0.0.1:" + greeting.port()
                        + "\n      protocol: h2\n      inboundPort: %INBOUND%")
                .start();
        clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() throws IOException {
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        mesh.close();
        echo.close();
        greeting.close();
    }

    @Test
    void echoesTextAndBinaryFramesBothWays() throws Exception {
        BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        CompletableFuture<Void> handshake = new CompletableFuture<>();
        int port = mesh.client().outboundAddress().getPort();
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(URI.create("ws://127.0.0.1:" + port + "/ws"))
                .customHeaders(new DefaultHttpHeaders().set("Host", "ws.default"))
                .maxFramePayloadLength(1 << 20)
                .build();
        Channel ch = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new WebSocketClientProtocolHandler(config));
                        c.pipeline().addLast(new SimpleChannelInboundHandler<WebSocketFrame>() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                                    handshake.complete(null);
                                }
                            }

                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
                                if (frame instanceof TextWebSocketFrame text) {
                                    received.add(text.text());
                                } else if (frame instanceof BinaryWebSocketFrame bin) {
                                    received.add(ByteBufUtil.getBytes(bin.content()));
                                }
                            }
                        });
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
        handshake.get(10, TimeUnit.SECONDS);

        ch.writeAndFlush(new TextWebSocketFrame("hello through the mesh"));
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("hello through the mesh");

        byte[] big = new byte[200_000];
        new java.util.Random(1).nextBytes(big);
        ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(big)));
        Object echoed = received.poll(10, TimeUnit.SECONDS);
        assertThat(echoed).isInstanceOf(byte[].class);
        assertThat((byte[]) echoed).isEqualTo(big);

        for (int i = 0; i < 50; i++) {
            ch.write(new TextWebSocketFrame("message " + i));
        }
        ch.flush();
        for (int i = 0; i < 50; i++) {
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("message " + i);
        }
        ch.close().sync();
        assertThat(echo.upgradeRequestHeaders().poll(1, TimeUnit.SECONDS))
                .containsEntry("host", "ws.default")
                .containsEntry("upgrade", "websocket")
                .doesNotContainKeys("meshj-dst-addr", "meshj-orig-proto");
    }

    /**
     * A server that speaks first once upgraded: its 101 and its greeting leave in one write, so both
     * proxies read them together, and the greeting sits behind the 101 in their HTTP codecs when they
     * switch to relaying bytes.
     */
    @Test
    void bytesThatCameWithThe101AndAfterItCrossBothWays() throws Exception {
        try (Socket s = new Socket("127.0.0.1", mesh.client().outboundAddress().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /greet HTTP/1.1\r\nHost: greeting.default\r\nConnection: Upgrade\r\n"
                    + "Upgrade: x-greeting\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                assertThat(b).as("the 101 so far: %s", head).isNotNegative();
                head.append((char) b);
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101 ").containsIgnoringCase("upgrade: x-greeting");
            assertThat(new String(in.readNBytes(GreetingServer.GREETING.length()), StandardCharsets.ISO_8859_1))
                    .isEqualTo(GreetingServer.GREETING);

            out.write("ping".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            assertThat(new String(in.readNBytes(4), StandardCharsets.ISO_8859_1)).isEqualTo("PING");
        }
    }

    /** Accepts one upgrade at a time: 101 and greeting in one write, then echoes in upper case. */
    static final class GreetingServer implements AutoCloseable {
        static final String GREETING = "HELLO, this server speaks first";
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Thread thread = new Thread(this::serve, "greeting-server");

        GreetingServer() throws IOException {
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket c = server.accept()) {
                    InputStream in = c.getInputStream();
                    StringBuilder head = new StringBuilder();
                    int b;
                    while (!head.toString().endsWith("\r\n\r\n") && (b = in.read()) >= 0) {
                        head.append((char) b);
                    }
                    c.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x-greeting\r\n"
                            + "Connection: Upgrade\r\n\r\n" + GREETING).getBytes(StandardCharsets.ISO_8859_1));
                    byte[] buf = new byte[1024];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        c.getOutputStream().write(new String(buf, 0, n, StandardCharsets.ISO_8859_1)
                                .toUpperCase(java.util.Locale.ROOT).getBytes(StandardCharsets.ISO_8859_1));
                    }
                } catch (IOException e) {
                    // closed, or the client went away: take the next one
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
