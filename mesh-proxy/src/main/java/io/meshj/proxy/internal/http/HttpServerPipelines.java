package io.meshj.proxy.internal.http;

import io.meshj.proxy.internal.Http2Windows;
import io.meshj.proxy.internal.QuietCloseHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;

/** Installs the downstream HTTP handlers on a connection once its protocol is known. */
public final class HttpServerPipelines {

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

    /** True for an HTTP/1 connection with no request in flight (safe to close when draining). */
    public static boolean isIdleHttp1(Channel ch) {
        Http1ServerHandler h = (Http1ServerHandler) ch.pipeline().get(Http1ServerHandler.NAME);
        return h != null && h.isIdle();
    }

    /**
     * An HTTP/2 connection (prior knowledge): the frame codec, with the head-size limit advertised as
     * SETTINGS_MAX_HEADER_LIST_SIZE (Netty answers larger heads with 431), and one child channel per
     * stream, each with the HttpObject conversion and a call handler. On close, the codec sends GOAWAY
     * and lets active streams finish for the shutdown grace period.
     */
    public static void http2(ChannelPipeline p, ProxyContext context) {
        // Streams of one connection flush independently; coalesce them into one write per loop turn.
        p.addLast("flush", new FlushConsolidationHandler(256, true));
        p.addLast("h2", Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxHeaderListSize(context.config().maxHeaderBytes()))
                .gracefulShutdownTimeoutMillis(context.config().shutdownGracePeriod().toMillis())
                .validateHeaders(true)
                .build());
        p.addLast("window", new Http2Windows.ConnectionWindowHandler());
        p.addLast("multiplex", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline().addLast("codec", new Http2StreamFrameToHttpObjectCodec(true, false));
                ch.pipeline().addLast("stream", new Http2StreamServerHandler(context));
            }
        }));
        p.addLast("h2-errors", QuietCloseHandler.INSTANCE);
    }
}
