package io.meshj.proxy.internal.call;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Header rules of a forwarding proxy (RFC 9110 §7.6.1): connection-specific ("hop-by-hop") headers
 * describe one connection and are not forwarded, and nor are the extension headers Netty's HTTP/2 to
 * HTTP/1 conversion adds ({@code x-http2-stream-id}, {@code x-http2-scheme}, ...).
 *
 * <p>Transfer-Encoding is left alone: Netty's HTTP/1 encoder frames the forwarded body by it, and the
 * HTTP/2 conversion drops it.
 */
final class HopByHop {

    /** Carries the client's HTTP/1 version across an HTTP/2 hop between meshj proxies. */
    static final AsciiString ORIG_PROTO = AsciiString.cached("meshj-orig-proto");
    /** Names the endpoint (application address) meant, when a meshj proxy in front of it is dialed. */
    static final AsciiString DST_ADDR = AsciiString.cached("meshj-dst-addr");
    /**
     * The service a meshed request was sent to, as the client's proxy resolved it (its fully qualified
     * name and port, Linkerd's {@code l5d-dst-canonical}): the inbound proxy follows that service's profile.
     */
    static final AsciiString DST_CANONICAL = AsciiString.cached("meshj-dst-canonical");

    /**
     * The verified identity of the meshed client, set by the inbound proxy for the application (as
     * Linkerd's {@code l5d-client-id}); removed from every other request so nobody can claim one.
     */
    static final AsciiString CLIENT_ID = AsciiString.cached("meshj-client-id");

    private static final List<AsciiString> ALWAYS = List.of(
            HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_CONNECTION,
            HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.PROXY_AUTHORIZATION,
            HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(),
            HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(),
            HttpConversionUtil.ExtensionHeaderNames.PATH.text(),
            HttpConversionUtil.ExtensionHeaderNames.STREAM_PROMISE_ID.text(),
            HttpConversionUtil.ExtensionHeaderNames.STREAM_DEPENDENCY_ID.text(),
            HttpConversionUtil.ExtensionHeaderNames.STREAM_WEIGHT.text());

    private HopByHop() {
    }

    /**
     * Removes hop-by-hop headers, including those the Connection header names. With {@code keepUpgrade},
     * {@code Connection: upgrade} and {@code Upgrade} survive (a WebSocket handshake being relayed).
     * {@code TE} survives only as {@code trailers}, which gRPC needs end to end.
     */
    static void strip(HttpHeaders headers, boolean keepUpgrade) {
        List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        if (!connection.isEmpty()) {
            for (String value : connection) {
                for (String token : value.split(",")) {
                    String name = token.strip();
                    if (!name.isEmpty() && !(keepUpgrade && name.equalsIgnoreCase("upgrade"))) {
                        headers.remove(name);
                    }
                }
            }
            headers.remove(HttpHeaderNames.CONNECTION);
        }
        for (AsciiString name : ALWAYS) {
            headers.remove(name);
        }
        if (keepUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderNames.UPGRADE);
        } else {
            headers.remove(HttpHeaderNames.UPGRADE);
        }
        String te = headers.get(HttpHeaderNames.TE);
        if (te != null) {
            if (te.toLowerCase(java.util.Locale.ROOT).contains("trailers")) {
                headers.set(HttpHeaderNames.TE, "trailers");
            } else {
                headers.remove(HttpHeaderNames.TE);
            }
        }
    }

    /** True for an HTTP/1 upgrade handshake ({@code Connection: upgrade} with an {@code Upgrade} header). */
    static boolean isUpgrade(HttpHeaders headers) {
        return headers.contains(HttpHeaderNames.UPGRADE)
                && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderNames.UPGRADE, true);
    }
}
