package io.meshj.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/2 server (prior knowledge) that serves one request per connection and then sends GOAWAY, so
 * every other stream the client opened on that connection was never processed — what nginx does to the
 * requests in flight when a connection reaches its {@code keepalive_requests}, here on every request.
 * Answers {@code served\n}.
 */
public final class GoAwayBackend implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final AtomicInteger connections = new AtomicInteger();

    private GoAwayBackend() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build());
                        ch.pipeline().addLast(new OneRequestThenGoAway());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    public static GoAwayBackend start() throws InterruptedException {
        return new GoAwayBackend();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class OneRequestThenGoAway extends ChannelInboundHandlerAdapter {
        private boolean served;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame headers && !served) {
                served = true;
                // Sent before the frames behind this one are read: its last stream id is this stream.
                ctx.write(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")).stream(headers.stream()));
                ctx.writeAndFlush(new DefaultHttp2DataFrame(
                        Unpooled.copiedBuffer("served\n", StandardCharsets.US_ASCII), true).stream(headers.stream()));
            }
            ReferenceCountUtil.release(msg);
        }
    }
}
