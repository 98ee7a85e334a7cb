package io.meshj.proxy.internal.call;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

/**
 * Response heads on their way to the client: hop-by-hop headers removed, HTTP/1 framing made explicit
 * for a client that may speak another version than the upstream, informational heads (1xx) passed on
 * as they come, and the 101 of an accepted upgrade. Also reads the gRPC status a head carries.
 */
final class ResponseHeads {

    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");

    private ResponseHeads() {
    }

    /**
     * Prepares a final response head for the client: strips hop-by-hop headers and, for an HTTP/1 client,
     * says {@code Connection: close} when the connection ends after it ({@code close}) and gives a body
     * of unknown length a framing HTTP/1 can carry.
     */
    static void forClient(HttpResponse response, boolean http2Client, boolean close, HttpMethod requestMethod) {
        HttpHeaders h = response.headers();
        HopByHop.strip(h, false);
        if (http2Client) {
            return;
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (close) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (!HttpUtil.isContentLengthSet(response) && !HttpUtil.isTransferEncodingChunked(response)
                && mayHaveBody(response, requestMethod)) {
            if (response instanceof FullHttpMessage full) {
                // A whole HTTP/2 response (HEADERS with END_STREAM, or HEADERS + one DATA): say its length.
                HttpUtil.setContentLength(response, full.content().readableBytes());
            } else {
                // A body delimited by the upstream closing its connection, or HTTP/2 DATA frames of
                // unknown total: chunk it for our client.
                HttpUtil.setTransferEncodingChunked(response, true);
            }
        }
    }

    private static boolean mayHaveBody(HttpResponse response, HttpMethod requestMethod) {
        int code = response.status().code();
        return code != 204 && code != 304 && !HttpMethod.HEAD.equals(requestMethod);
    }

    /** 100 Continue and friends, as the client gets them: a whole head of its own. Releases {@code response}. */
    static FullHttpResponse informational(HttpResponse response) {
        FullHttpResponse info = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(),
                Unpooled.EMPTY_BUFFER, response.headers(), HttpHeaders.EMPTY_HEADERS);
        HopByHop.strip(info.headers(), false);
        ReferenceCountUtil.release(response);
        return info;
    }

    /** The 101 of an upgrade the upstream accepted, with its Upgrade headers kept. Releases {@code response}. */
    static FullHttpResponse switchingProtocols(HttpResponse response) {
        HopByHop.strip(response.headers(), true);
        FullHttpResponse switching = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(),
                Unpooled.EMPTY_BUFFER, response.headers(), HttpHeaders.EMPTY_HEADERS);
        ReferenceCountUtil.release(response);
        return switching;
    }

    /** The gRPC status in {@code headers}, or -1 when there is none. */
    static int grpcStatusOf(HttpHeaders headers) {
        String s = headers.get(GRPC_STATUS);
        if (s == null) {
            return -1;
        }
        int g;
        try {
            g = Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return 2; // UNKNOWN: a gRPC status that is no number is not OK
        }
        return g < 0 || g > 16 ? 2 : g; // UNKNOWN too: gRPC defines 0-16, and each value would be a series of its own
    }
}
