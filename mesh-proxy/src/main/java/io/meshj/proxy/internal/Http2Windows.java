package io.meshj.proxy.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;

/**
 * HTTP/2 flow-control windows of the proxy's connections.
 *
 * <p>Many streams share one connection between two proxies, and the proxy stops reading a stream whose
 * other side is slow (that is its backpressure). Data such a stream has already received but not read
 * still counts against the connection window; with the protocol's default connection window (64 KiB,
 * the size of one stream window) a single stalled stream would stop every other stream on the
 * connection. So the connection window is many stream windows: a connection only stalls when
 * {@value #STALLED_STREAMS_PER_CONNECTION} streams are stalled at once. The memory this can hold per
 * connection is bounded by the connection window.
 */
public final class Http2Windows {

    /**
     * Each stream's window: the protocol's default, left unchanged. (Advertising a larger
     * SETTINGS_INITIAL_WINDOW_SIZE made Netty 4.2.18's stream accounting reject a peer's data as
     * "window exceeded" under a 100 MB echo through two proxies; the connection window is what keeps
     * stalled streams from blocking the others, and that one is raised below.)
     */
    static final int STREAM_WINDOW = 65_535;
    static final int STALLED_STREAMS_PER_CONNECTION = 16;
    /** The connection window: enough for this many stalled streams before the others are affected. */
    static final int CONNECTION_WINDOW = STREAM_WINDOW * STALLED_STREAMS_PER_CONNECTION;
    /** HTTP/2's initial connection window (RFC 9113 §6.9.2), which only WINDOW_UPDATE can change. */
    private static final int DEFAULT_CONNECTION_WINDOW = 65_535;

    private Http2Windows() {
    }

    /**
     * Raises the connection's receive window by {@link #CONNECTION_WINDOW} (less the protocol's initial
     * window) once the connection is up — a connection-level WINDOW_UPDATE through the frame codec, on
     * top of the small increase the codec makes by itself — then removes itself.
     */
    public static final class ConnectionWindowHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                enlarge(ctx);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            enlarge(ctx);
            ctx.fireChannelActive();
        }

        private void enlarge(ChannelHandlerContext ctx) {
            if (ctx.isRemoved()) {
                return;
            }
            ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW - DEFAULT_CONNECTION_WINDOW));
            ctx.pipeline().remove(this);
        }
    }
}
