package io.meshj.proxy.internal;

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
     * SETTINGS_INITIAL_WINDOW_SIZE made Netty 4.2.18's child-channel stream accounting, which the proxy
     * used before its frame-level path, reject a peer's data as "window exceeded" under a 100 MB echo
     * through two proxies. A larger stream window would help long fat links, not loopback; it has not
     * been re-measured since. The connection window is what keeps stalled streams from blocking the
     * others, and that one is raised.)
     */
    static final int STREAM_WINDOW = 65_535;
    static final int STALLED_STREAMS_PER_CONNECTION = 16;
    /** The connection window: enough for this many stalled streams before the others are affected. */
    public static final int CONNECTION_WINDOW = STREAM_WINDOW * STALLED_STREAMS_PER_CONNECTION;

    private Http2Windows() {
    }
}
