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
import java.net.URI;
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
    static MeshFixture mesh;
    static EventLoopGroup clientGroup;

    @BeforeAll
    static void start() throws Exception {
        echo = WebSocketEchoServer.start();
        mesh = new MeshFixture(dir)
                .appPort(echo.port())
                .service("ws.default:80", "    - address: 127.0.0.1:" + echo.port()
                        + "\n      protocol: h2\n      inboundPort: %INBOUND%")
                .start();
        clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        mesh.close();
        echo.close();
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
}
