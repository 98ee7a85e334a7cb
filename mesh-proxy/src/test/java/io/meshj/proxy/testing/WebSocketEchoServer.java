package io.meshj.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A WebSocket echo server at {@code /ws}, from Netty's own WebSocket handlers; records handshake headers. */
public final class WebSocketEchoServer implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final BlockingQueue<Map<String, String>> upgrades = new LinkedBlockingQueue<>();

    private WebSocketEchoServer() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec());
                        ch.pipeline().addLast(new HttpObjectAggregator(65536));
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<FullHttpRequest>(false) {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                Map<String, String> headers = new LinkedHashMap<>();
                                req.headers().forEach(e -> headers.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
                                upgrades.add(headers);
                                ctx.fireChannelRead(req);
                            }
                        });
                        ch.pipeline().addLast(new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                .websocketPath("/ws").maxFramePayloadLength(1 << 20).build()));
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<WebSocketFrame>(false) {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
                                if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
                                    ctx.writeAndFlush(frame);
                                } else {
                                    frame.release();
                                }
                            }
                        });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    public static WebSocketEchoServer start() throws InterruptedException {
        return new WebSocketEchoServer();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Headers of each handshake request, in order. */
    public BlockingQueue<Map<String, String>> upgradeRequestHeaders() {
        return upgrades;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
