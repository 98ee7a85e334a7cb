package io.meshj.proxy.internal.h2;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.netty.util.AsciiString;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.util.ArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An HTTP/2 connection of the proxy, handled at the frame level: Netty's {@link Http2ConnectionHandler}
 * (framing, HPACK, flow control, SETTINGS, GOAWAY, the 431 for oversized header lists) with one frame
 * listener that dispatches to {@link H2Stream}s kept in a map by id.
 *
 * <p>This replaces Netty's {@code Http2MultiplexHandler}, whose child channel per stream (a channel,
 * pipeline, config and promises for every request, plus a frame object per frame) was most of the
 * proxy's per-request cost; gRPC-Java's Netty transport is built the same way. The connection's
 * receive window is raised to many stream windows (see {@link #connectionWindow}) so that a few streams
 * whose readers are slow do not stall the others, and streams share the send window uniformly (no
 * priority tree to maintain per stream).
 */
public final class H2ConnectionHandler extends Http2ConnectionHandler implements Http2FrameListener {

    private static final AsciiString HTTP = AsciiString.cached("http");

    private final IntObjectMap<H2Stream> streams = new IntObjectHashMap<>();
    private final ArrayList<H2Stream> readBatch = new ArrayList<>();
    /** Server side: makes the listener of each stream the peer opens. Null on the client side. */
    private final Function<H2Stream, H2StreamListener> acceptor;
    private final int connectionWindow;
    private ChannelHandlerContext ctx;
    private boolean windowRaised;
    private int lastAcceptedStreamId;
    private boolean remoteSettingsReceived;
    private ArrayList<Runnable> remoteSettingsListeners;

    private H2ConnectionHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
            Function<H2Stream, H2StreamListener> acceptor, int connectionWindow) {
        super(decoder, encoder, settings);
        this.acceptor = acceptor;
        this.connectionWindow = connectionWindow;
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                H2Stream s = streams.get(stream.id());
                if (s != null) {
                    s.onStreamClosed();
                }
            }

            @Override
            public void onGoAwayReceived(int lastStreamId, long errorCode, ByteBuf debugData) {
                if (acceptor != null) {
                    return; // a client's GOAWAY only concerns streams a server opened: none here
                }
                // Fired before Netty closes the streams above lastStreamId: they were never processed.
                for (H2Stream s : streams.values().toArray(new H2Stream[0])) {
                    if (s.id() > lastStreamId) {
                        s.onRefusedByGoAway();
                    }
                }
            }
        });
        encoder.flowController().listener(stream -> {
            H2Stream s = streams.get(stream.id());
            if (s != null) {
                s.onWritabilityChanged();
            }
        });
    }

    /** A server connection; {@code acceptor} makes the listener of each new stream. */
    public static Builder forServer(Function<H2Stream, H2StreamListener> acceptor) {
        return new Builder(acceptor);
    }

    /** A client connection; streams are opened with {@link #newStream}. */
    public static Builder forClient() {
        return new Builder(null);
    }

    /** A stream that opens with the first message written to it. Call on the connection's event loop. */
    public H2Stream newStream(H2StreamListener listener) {
        if (acceptor != null) {
            throw new IllegalStateException("a server connection does not open streams");
        }
        return new H2Stream(this, listener);
    }

    /** True while the connection can take another locally opened stream. */
    public boolean canOpenStream() {
        return !connection().goAwayReceived() && !connection().goAwaySent() && connection().local().canOpenStream();
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    Channel channel() {
        return ctx.channel();
    }

    AsciiString scheme() {
        return HTTP;
    }

    void register(H2Stream s) {
        streams.put(s.id(), s);
    }

    void unregister(H2Stream s) {
        if (s.id() != 0 && streams.get(s.id()) == s) {
            streams.remove(s.id());
        }
    }

    void readBatch(H2Stream s) {
        readBatch.add(s);
    }

    // ---- lifecycle ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
        if (ctx.channel().isActive()) {
            raiseConnectionWindow();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        super.channelActive(ctx); // sends the preface first
        raiseConnectionWindow();
    }

    /**
     * Raises the connection's receive window from the protocol's 64 KiB to {@link #connectionWindow}
     * (a connection-level WINDOW_UPDATE), once the preface is out.
     */
    private void raiseConnectionWindow() throws Http2Exception {
        if (windowRaised) {
            return;
        }
        windowRaised = true;
        Http2Stream connectionStream = connection().connectionStream();
        int delta = connectionWindow - decoder().flowController().windowSize(connectionStream);
        if (delta > 0) {
            decoder().flowController().incrementWindowSize(connectionStream, delta);
            flush(ctx);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        // Each stream that delivered something in this read flushes what it forwarded elsewhere; then
        // the connection flushes its own writes (window updates, answers).
        for (int i = 0; i < readBatch.size(); i++) {
            readBatch.get(i).onReadComplete();
        }
        readBatch.clear();
        super.channelReadComplete(ctx);
    }

    /**
     * The peer shut down its side. Connections allow half-closure (for opaque TCP), so Netty leaves
     * closing to us: no frame can arrive any more, so the connection closes through the whole pipeline,
     * which makes this handler's close graceful (GOAWAY; streams still answering get the grace period).
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.channel().close();
        }
        super.userEventTriggered(ctx, evt);
    }

    /**
     * A connection error ends the connection with a GOAWAY naming the last stream this side acted on.
     * Netty sends 2^31-1 for errors it must shut down hard on (it cannot tell whether the stream being
     * decoded was processed), which tells the client every stream it sent may have been processed and
     * none may be retried; a server here knows exactly which streams it dispatched (RFC 9113 §6.8).
     */
    @Override
    protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
            Http2Exception http2Ex) {
        if (acceptor == null || connection().goAwaySent()
                || http2Ex != null && http2Ex.shutdownHint() != Http2Exception.ShutdownHint.HARD_SHUTDOWN) {
            super.onConnectionError(ctx, outbound, cause, http2Ex);
            return;
        }
        Http2Error error = http2Ex != null ? http2Ex.error() : Http2Error.INTERNAL_ERROR;
        ChannelFuture sent = goAway(ctx, lastAcceptedStreamId, error.code(),
                Http2CodecUtil.toByteBuf(ctx, http2Ex != null ? http2Ex : cause), ctx.newPromise());
        ctx.flush();
        // Closed once the GOAWAY is out, or after the grace period if the peer reads nothing any more.
        ScheduledFuture<?> deadline = ctx.executor().schedule(() -> {
            ctx.close();
        }, Math.max(gracefulShutdownTimeoutMillis(), 0), TimeUnit.MILLISECONDS);
        sent.addListener(f -> {
            deadline.cancel(false);
            ctx.close();
        });
    }

    @Override
    protected void onStreamError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
            Http2Exception.StreamException http2Ex) {
        H2Stream s = streams.get(http2Ex.streamId());
        if (s != null) {
            s.onStreamError(cause);
        }
        super.onStreamError(ctx, outbound, cause, http2Ex);
    }

    // ---- frames ----

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
            boolean endOfStream) throws Http2Exception {
        H2Stream s = streams.get(streamId);
        if (s == null) {
            Http2Stream stream = connection().stream(streamId);
            // The peer opens streams in increasing order: HEADERS for an id at or below the last one
            // accepted are trailers of an exchange this side already ended.
            if (acceptor == null || stream == null || streamId <= lastAcceptedStreamId) {
                return;
            }
            lastAcceptedStreamId = streamId;
            s = new H2Stream(this, stream);
            streams.put(streamId, s);
            s.listener(acceptor.apply(s));
        }
        try {
            s.onHeaders(headers, endOfStream);
        } catch (Http2Exception e) {
            throw Http2Exception.streamError(streamId, e.error(), e, "%s", e.getMessage());
        }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
            short weight, boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
        onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
        H2Stream s = streams.get(streamId);
        return s == null ? data.readableBytes() + padding : s.onData(data, padding, endOfStream);
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
        H2Stream s = streams.get(streamId);
        if (s != null) {
            s.onPeerReset(errorCode);
        }
    }

    @Override
    public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight, boolean exclusive) {
    }

    @Override
    public void onSettingsAckRead(ChannelHandlerContext ctx) {
    }

    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
        // Netty has applied the settings (SETTINGS_MAX_CONCURRENT_STREAMS among them) by now.
        if (!remoteSettingsReceived) {
            remoteSettingsReceived = true;
            ArrayList<Runnable> listeners = remoteSettingsListeners;
            remoteSettingsListeners = null;
            if (listeners != null) {
                listeners.forEach(Runnable::run);
            }
        }
    }

    /**
     * Runs {@code r} once the peer's first SETTINGS have been applied (at once if they have been): only
     * then is its limit on concurrent streams known. Call on the connection's event loop.
     */
    public void whenRemoteSettingsReceived(Runnable r) {
        if (remoteSettingsReceived) {
            r.run();
            return;
        }
        if (remoteSettingsListeners == null) {
            remoteSettingsListeners = new ArrayList<>(2);
        }
        remoteSettingsListeners.add(r);
    }

    @Override
    public void onPingRead(ChannelHandlerContext ctx, long data) {
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
    }

    @Override
    public void onPushPromiseRead(ChannelHandlerContext ctx, int streamId, int promisedStreamId, Http2Headers headers,
            int padding) {
        // Push is disabled in this side's SETTINGS; Netty rejects a PUSH_PROMISE before it gets here.
    }

    @Override
    public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
        // Handled as a connection event (onGoAwayReceived), which comes first.
    }

    @Override
    public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
    }

    @Override
    public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags, ByteBuf payload) {
    }

    /** Builds handlers with the proxy's settings; Netty's builder supplies the protocol defaults. */
    public static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<H2ConnectionHandler, Builder> {
        private final Function<H2Stream, H2StreamListener> acceptor;
        private int connectionWindow = 65_535;

        Builder(Function<H2Stream, H2StreamListener> acceptor) {
            this.acceptor = acceptor;
            boolean server = acceptor != null;
            Http2Connection connection = new DefaultHttp2Connection(server);
            connection.remote().flowController(
                    new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
            connection(connection);
        }

        @Override
        public Builder initialSettings(Http2Settings settings) {
            return super.initialSettings(settings);
        }

        @Override
        public Builder validateHeaders(boolean validate) {
            return super.validateHeaders(validate);
        }

        @Override
        public Builder gracefulShutdownTimeoutMillis(long millis) {
            return super.gracefulShutdownTimeoutMillis(millis);
        }

        /** The connection's receive window, in bytes (at least the protocol's 65,535). */
        public Builder connectionWindow(int bytes) {
            this.connectionWindow = bytes;
            return this;
        }

        @Override
        public H2ConnectionHandler build() {
            return super.build();
        }

        @Override
        protected H2ConnectionHandler build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                Http2Settings initialSettings) {
            H2ConnectionHandler handler = new H2ConnectionHandler(decoder, encoder, initialSettings, acceptor, connectionWindow);
            decoder.frameListener(handler);
            return handler;
        }
    }
}
