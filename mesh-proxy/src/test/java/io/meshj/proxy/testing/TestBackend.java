package io.meshj.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An application for the proxy to forward to, built only from Netty's own HTTP handlers (so it checks
 * our proxy against an independent implementation): HTTP/1.1 with keep-alive and 100-continue, and
 * HTTP/2 with prior knowledge, on one port. Every response streams with backpressure.
 *
 * <ul>
 *   <li>{@code GET /hello} → {@code hello\n}</li>
 *   <li>{@code POST|PUT /echo} → the request body, streamed back as it arrives, and its trailers</li>
 *   <li>{@code GET /bytes?n=N} → N bytes (a repeating pattern), Content-Length N</li>
 *   <li>{@code GET /status?code=C} → status C</li>
 *   <li>{@code GET /slow?ms=M} → {@code slow\n} after M ms</li>
 *   <li>{@code GET /headers} → the request headers, one {@code name: value} per line</li>
 *   <li>{@code GET /trailers} → a chunked body followed by the trailer {@code x-trailer: yes}</li>
 *   <li>{@code GET /grpc-status?code=N} → 200, a gRPC-framed empty message, and the trailer {@code grpc-status: N}</li>
 *   <li>{@code GET /empty} → 200 with no body and no Content-Length (on HTTP/2: HEADERS with END_STREAM)</li>
 *   <li>{@code POST /stall} → never answers and stops reading the body (a stuck application)</li>
 *   <li>{@code GET|POST /flaky[/anything]?key=K&fails=N[&grpc=1]} → the first N requests with key K fail
 *       once their body has been read (503; with grpc=1 a trailers-only gRPC response, grpc-status 14),
 *       the ones after answer as {@code /echo}; {@link #attempts} counts them</li>
 * </ul>
 */
public final class TestBackend implements AutoCloseable {

    /** What the backend saw of each request. */
    public record Seen(String protocol, String method, String uri, Map<String, String> headers) {
    }

    /** Bytes i % 251, long enough to copy any 64 KiB chunk at any phase of the pattern. */
    private static final byte[] PATTERN = new byte[64 * 1024 + 251];

    static {
        for (int i = 0; i < PATTERN.length; i++) {
            PATTERN[i] = (byte) (i % 251);
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final Channel server;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final Map<String, AtomicInteger> attempts = new java.util.concurrent.ConcurrentHashMap<>();
    /** Open connections, closed before the event loops stop so that what streams hold is released. */
    private final io.netty.channel.group.ChannelGroup accepted =
            new io.netty.channel.group.DefaultChannelGroup(io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);

    private TestBackend() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        accepted.add(ch);
                        HttpServerCodec codec = new HttpServerCodec();
                        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(codec, protocol -> null);
                        ch.pipeline().addLast(new CleartextHttp2ServerUpgradeHandler(codec, upgrade, http2()));
                        ch.pipeline().addLast(new HttpServerKeepAliveHandler());
                        ch.pipeline().addLast(new HttpServerExpectContinueHandler());
                        ch.pipeline().addLast(new Handler("HTTP/1.1"));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    private ChannelInitializer<Channel> http2() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                // Drop the HTTP/1 handlers added for the connection; this one speaks HTTP/2 only.
                ch.pipeline().remove(HttpServerKeepAliveHandler.class);
                ch.pipeline().remove(HttpServerExpectContinueHandler.class);
                ch.pipeline().remove(Handler.class);
                ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build());
                // A large connection window, so one stream the application leaves unread (/stall) does not
                // block the others here: tests of the proxies' windows must not measure this server's.
                ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                    @Override
                    public void handlerAdded(ChannelHandlerContext ctx) {
                        ctx.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame(16 * 1024 * 1024));
                        ctx.pipeline().remove(this);
                    }
                });
                ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true));
                        stream.pipeline().addLast(new Handler("HTTP/2"));
                    }
                }));
            }
        };
    }

    public static TestBackend start() throws InterruptedException {
        return new TestBackend();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The next request the backend saw, waiting up to 10 s. */
    public Seen nextSeen() throws InterruptedException {
        Seen s = seen.poll(10, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("the backend saw no request");
        }
        return s;
    }

    /** How many requests the backend saw and nobody took with {@link #nextSeen} yet. */
    public int seenCount() {
        return seen.size();
    }

    public void clearSeen() {
        seen.clear();
    }

    /** How many {@code /flaky} requests with {@code key} the backend saw. */
    public int attempts(String key) {
        AtomicInteger n = attempts.get(key);
        return n == null ? 0 : n.get();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        // Closing each connection on its loop lets HTTP/2 close its streams, which releases the frames a
        // stalled stream (/stall) still queues; a loop shut down first may leave them to the GC.
        accepted.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private final String protocol;
        private boolean echoing;
        /** A /flaky failure, sent when the request's body has been read. */
        private Runnable failAtEnd;
        private long bytesLeft;
        private long bytesOffset;

        Handler(String protocol) {
            this.protocol = protocol;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                Map<String, String> headers = new java.util.LinkedHashMap<>();
                request.headers().forEach(e -> headers.merge(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue(),
                        (a, b) -> a + "," + b));
                seen.add(new Seen(protocol, request.method().name(), request.uri(), headers));
                route(ctx, request);
            }
            if (msg instanceof HttpContent content) {
                if (failAtEnd != null && content instanceof LastHttpContent) {
                    Runnable fail = failAtEnd;
                    failAtEnd = null;
                    fail.run();
                }
                if (echoing) {
                    if (content instanceof LastHttpContent last) {
                        echoing = false;
                        LastHttpContent end = new DefaultLastHttpContent(last.content().retain());
                        end.trailingHeaders().set(last.trailingHeaders());
                        ctx.writeAndFlush(end);
                    } else {
                        ctx.write(new DefaultHttpContent(content.content().retain()));
                    }
                }
                content.release();
            } else if (!(msg instanceof HttpRequest)) {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (echoing && !ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
                ctx.channel().read();
                if (ctx.channel().parent() != null) {
                    // netty/netty#10072: a read resumed outside the connection's read loop leaves its
                    // WINDOW_UPDATE unflushed.
                    ctx.channel().parent().flush();
                }
                writeBytes(ctx);
            }
        }

        private void route(ChannelHandlerContext ctx, HttpRequest request) {
            QueryStringDecoder q = new QueryStringDecoder(request.uri());
            switch (q.path().startsWith("/flaky/") ? "/flaky" : q.path()) {
                case "/hello" -> respond(ctx, request, HttpResponseStatus.OK, "hello\n");
                case "/echo" -> echo(ctx, request);
                case "/bytes" -> {
                    long n = Long.parseLong(param(q, "n", "0"));
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setContentLength(head, n);
                    ctx.write(head);
                    bytesLeft = n;
                    bytesOffset = 0;
                    writeBytes(ctx);
                }
                case "/status" -> respond(ctx, request,
                        HttpResponseStatus.valueOf(Integer.parseInt(param(q, "code", "200"))), "status\n");
                case "/slow" -> ctx.executor().schedule(
                        () -> respond(ctx, request, HttpResponseStatus.OK, "slow\n"),
                        Long.parseLong(param(q, "ms", "1000")), TimeUnit.MILLISECONDS);
                case "/headers" -> {
                    StringBuilder b = new StringBuilder();
                    request.headers().forEach(e -> b.append(e.getKey().toLowerCase(java.util.Locale.ROOT))
                            .append(": ").append(e.getValue()).append('\n'));
                    respond(ctx, request, HttpResponseStatus.OK, b.toString());
                }
                case "/trailers" -> {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(head, true);
                    head.headers().set(HttpHeaderNames.TRAILER, "x-trailer");
                    ctx.write(head);
                    ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("body\n", StandardCharsets.UTF_8)));
                    LastHttpContent last = new DefaultLastHttpContent();
                    last.trailingHeaders().set("x-trailer", "yes");
                    ctx.writeAndFlush(last);
                }
                case "/grpc-status" -> {
                    // A gRPC-style answer: 200, a body, and the status in the trailers (where gRPC puts it).
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(head, true);
                    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
                    ctx.write(head);
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 0, 0})));
                    LastHttpContent last = new DefaultLastHttpContent();
                    last.trailingHeaders().set("grpc-status", q.parameters()
                            .getOrDefault("code", List.of("0")).get(0));
                    ctx.writeAndFlush(last);
                }
                case "/flaky" -> {
                    int n = attempts.computeIfAbsent(param(q, "key", ""), k -> new AtomicInteger()).incrementAndGet();
                    if (n > Integer.parseInt(param(q, "fails", "0"))) {
                        echo(ctx, request);
                    } else if ("1".equals(param(q, "grpc", "0"))) {
                        failAtEnd = () -> {
                            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc").set("grpc-status", "14")
                                    .set("grpc-message", "failure " + n);
                            if ("HTTP/1.1".equals(protocol)) {
                                HttpUtil.setContentLength(r, 0);
                            }
                            ctx.writeAndFlush(r);
                        };
                    } else {
                        failAtEnd = () -> respond(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "failure " + n + "\n");
                    }
                }
                case "/empty" -> ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
                case "/stall" -> ctx.channel().config().setAutoRead(false);
                default -> respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
            }
        }

        /** Answers with the request's body as it comes, and its trailers (the parts: {@link #channelRead}). */
        private void echo(ChannelHandlerContext ctx, HttpRequest request) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
            if (type != null) {
                head.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            }
            if (HttpUtil.isContentLengthSet(request)) {
                HttpUtil.setContentLength(head, HttpUtil.getContentLength(request));
            } else {
                HttpUtil.setTransferEncodingChunked(head, true);
            }
            echoing = true;
            ctx.write(head);
        }

        private void writeBytes(ChannelHandlerContext ctx) {
            int chunk = 64 * 1024;
            while (bytesLeft > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(chunk, bytesLeft);
                ByteBuf buf = ctx.alloc().buffer(n);
                // Bulk copy from a precomputed pattern: byte-wise writes are slow under the paranoid leak
                // detector, which records a stack trace per access.
                buf.writeBytes(PATTERN, (int) (bytesOffset % 251), n);
                bytesOffset += n;
                bytesLeft -= n;
                if (bytesLeft == 0) {
                    ctx.writeAndFlush(new DefaultLastHttpContent(buf));
                } else {
                    ctx.write(new DefaultHttpContent(buf));
                }
            }
            ctx.flush();
        }

        private void respond(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String body) {
            ByteBuf content = ByteBufUtil.writeUtf8(ctx.alloc(), body);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            HttpUtil.setContentLength(r, content.readableBytes());
            ctx.writeAndFlush(r);
        }

        private String param(QueryStringDecoder q, String name, String def) {
            List<String> v = q.parameters().get(name);
            return v == null || v.isEmpty() ? def : v.get(0);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof io.netty.handler.codec.http2.Http2ResetFrame) {
                // A reset stream that stopped reading (/stall) must be closed to free what it queued.
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close().addListener(ChannelFutureListener.CLOSE);
        }
    }
}
