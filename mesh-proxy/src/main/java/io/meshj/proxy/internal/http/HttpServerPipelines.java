package io.meshj.proxy.internal.http;

import io.meshj.proxy.internal.DrainEvent;
import io.meshj.proxy.internal.Http2Windows;
import io.meshj.proxy.internal.QuietCloseHandler;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.internal.h2.H2ConnectionHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;

/** Installs the downstream HTTP handlers on a connection once its protocol is known. */
public final class HttpServerPipelines {

    private static final String HTTP2_NAME = "h2";

    /** Largest body part the HTTP/1 decoder emits at once; bodies stream in parts of at most this. */
    private static final int MAX_CHUNK_BYTES = 64 * 1024;

    private HttpServerPipelines() {
    }

    /** An HTTP/1 connection: head timeout, codec, and the handler that makes each request a call. */
    public static void http1(ChannelPipeline p, ProxyContext context) {
        int maxHead = context.config().maxHeaderBytes();
        p.addLast(RequestHeadTimeoutHandler.NAME, new RequestHeadTimeoutHandler(context.config().headerReadTimeout(),
                context.config().idleTimeout(), context));
        p.addLast(Http1ServerHandler.CODEC_NAME, new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(maxHead)
                .setMaxHeaderSize(maxHead)
                .setMaxChunkSize(MAX_CHUNK_BYTES)));
        p.addLast(Http1ServerHandler.NAME, new Http1ServerHandler(context));
    }

    /**
     * Accepted connections allow half-closure until their protocol is known (opaque TCP relays it). An
     * HTTP/2 client that closes its side is gone (HTTP/2 ends streams, not halves of connections): the
     * connection closes, and its streams' calls are cancelled and their upstream requests with them,
     * instead of waiting for responses nobody will read. (HTTP/1 keeps half-closure: a client may send
     * its request, shut its side, and still read the answer; {@link Http1ServerHandler} sees to it.)
     */
    private static void closeOnEndOfInput(Channel ch) {
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
    }

    /**
     * An HTTP/2 connection (prior knowledge): the connection handler, with the head-size limit advertised
     * as SETTINGS_MAX_HEADER_LIST_SIZE (Netty answers larger heads with 431), and each stream's request
     * made a call. On close, the handler sends GOAWAY and lets active streams finish for the shutdown
     * grace period.
     */
    public static void http2(ChannelPipeline p, ProxyContext context) {
        closeOnEndOfInput(p.channel());
        // Streams of one connection flush independently; coalesce them into one write per loop turn.
        p.addLast("flush", new FlushConsolidationHandler(256, true));
        p.addLast(HTTP2_NAME, H2ConnectionHandler.forServer(stream -> new Http2ServerStream(context, stream))
                .initialSettings(Http2Settings.defaultSettings()
                        .maxHeaderListSize(context.config().maxHeaderBytes()))
                .gracefulShutdownTimeoutMillis(context.config().shutdownGracePeriod().toMillis())
                .validateHeaders(true)
                .connectionWindow(Http2Windows.CONNECTION_WINDOW)
                .build());
        // Before the connection handler, which consumes the bytes: it sees every read.
        p.addBefore(HTTP2_NAME, "h2-idle", new IdleConnectionCloser(context.config().idleTimeout()));
        p.addLast("h2-errors", QuietCloseHandler.INSTANCE);
    }

    /**
     * Closes an HTTP/2 connection that has had no stream for the idle timeout (as HTTP/1 connections
     * between requests are), or at once when the proxy drains: the close goes through the connection
     * handler, so it is a GOAWAY, and streams in flight finish. The idle check runs once per period, so
     * a connection closes between one and two periods after its last stream ended.
     */
    private static final class IdleConnectionCloser extends io.netty.channel.ChannelInboundHandlerAdapter {
        private final long periodNanos;
        private io.netty.util.concurrent.ScheduledFuture<?> timer;
        private boolean busySincePreviousCheck = true;

        IdleConnectionCloser(java.time.Duration idleTimeout) {
            this.periodNanos = idleTimeout.toNanos();
        }

        @Override
        public void handlerAdded(io.netty.channel.ChannelHandlerContext ctx) {
            schedule(ctx);
        }

        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            busySincePreviousCheck = true;
            ctx.fireChannelRead(msg);
        }

        @Override
        public void userEventTriggered(io.netty.channel.ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof DrainEvent) {
                ctx.channel().close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        private void schedule(io.netty.channel.ChannelHandlerContext ctx) {
            timer = ctx.executor().schedule(() -> check(ctx), periodNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }

        private void check(io.netty.channel.ChannelHandlerContext ctx) {
            H2ConnectionHandler h2 = ctx.pipeline().get(H2ConnectionHandler.class);
            if (!ctx.channel().isActive() || h2 == null) {
                return;
            }
            if (!busySincePreviousCheck && h2.connection().numActiveStreams() == 0) {
                ctx.channel().close(); // through the pipeline: the connection handler sends GOAWAY
                return;
            }
            busySincePreviousCheck = false;
            schedule(ctx);
        }

        @Override
        public void handlerRemoved(io.netty.channel.ChannelHandlerContext ctx) {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }
}
