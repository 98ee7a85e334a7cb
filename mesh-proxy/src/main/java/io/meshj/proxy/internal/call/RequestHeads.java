package io.meshj.proxy.internal.call;

import io.meshj.proxy.internal.route.RouteProfiles;
import io.meshj.proxy.internal.route.Target;
import io.meshj.tls.WorkloadIdentity;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Request heads as the upstream gets them: hop-by-hop headers removed, meshj's own headers set for the
 * next hop and never shown to an application, and the framing of the protocol the upstream speaks.
 *
 * <ul>
 *   <li>Outbound to a meshj proxy: which endpoint is meant ({@code meshj-dst-addr}), the service resolved
 *       ({@code meshj-dst-canonical}), and, across an HTTP/2 hop, the client's HTTP/1 version
 *       ({@code meshj-orig-proto}).</li>
 *   <li>Inbound to the application: the verified client identity ({@code meshj-client-id}) and nothing
 *       else of meshj's; a client's own claim of an identity is removed.</li>
 * </ul>
 */
final class RequestHeads {

    private RequestHeads() {
    }

    /**
     * The head of {@code request} for an upstream speaking HTTP/2 ({@code http2}) or HTTP/1.1. Edits the
     * request's own headers; a bodyless HTTP/1 request becomes a whole one (a single HEADERS frame with
     * END_STREAM over HTTP/2).
     *
     * @param bodyless the head carries the whole request
     * @param fromHttp2 the client spoke HTTP/2
     * @param upgrade an HTTP/1 upgrade handshake, whose Upgrade headers are kept
     * @param routing who sent it (inbound) and which service it was resolved as (outbound)
     * @param target where the request goes (outbound: whether a proxy fronts the endpoint)
     */
    static HttpRequest forUpstream(HttpRequest request, boolean bodyless, boolean fromHttp2, boolean upgrade,
            RequestRouting routing, Target target, boolean http2) {
        boolean inbound = routing.isInbound();
        // A FullHttpRequest (an HTTP/2 request without body) is forwarded whole; both codecs encode it.
        // (Not "request complete": a small body may have arrived whole before the upstream was ready.)
        HttpRequest out = request instanceof FullHttpMessage || !bodyless ? request
                : new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                        Unpooled.EMPTY_BUFFER, request.headers(), HttpHeaders.EMPTY_HEADERS);
        HttpHeaders h = out.headers();
        boolean wasHttp1 = !fromHttp2 || h.contains(HopByHop.ORIG_PROTO);
        HopByHop.strip(h, upgrade);
        if (inbound) {
            // Meant for this proxy only; never shown to the application.
            h.remove(HopByHop.ORIG_PROTO);
            h.remove(HopByHop.DST_ADDR);
            h.remove(HopByHop.DST_CANONICAL);
            WorkloadIdentity peer = routing.peerIdentity();
            if (peer != null) {
                h.set(HopByHop.CLIENT_ID, peer.dnsName());
            } else {
                h.remove(HopByHop.CLIENT_ID);
            }
        } else if (target.viaProxy()) {
            h.set(HopByHop.DST_ADDR, target.endpoint().toString());
            RouteProfiles.Profile profile = routing.profile();
            if (profile != null) {
                h.set(HopByHop.DST_CANONICAL, profile.dst());
            } else {
                h.remove(HopByHop.DST_CANONICAL);
            }
        } else {
            h.remove(HopByHop.DST_ADDR);
            h.remove(HopByHop.DST_CANONICAL);
        }
        if (http2) {
            if (wasHttp1 && !inbound) {
                h.set(HopByHop.ORIG_PROTO, request.protocolVersion().text());
            }
        } else {
            out.setProtocolVersion(HttpVersion.HTTP_1_1);
            if (!HttpUtil.isContentLengthSet(out) && !HttpUtil.isTransferEncodingChunked(out) && !bodyless) {
                // An HTTP/2 request with a body of unknown length: HTTP/1 frames it in chunks.
                HttpUtil.setTransferEncodingChunked(out, true);
            }
        }
        return out;
    }
}
