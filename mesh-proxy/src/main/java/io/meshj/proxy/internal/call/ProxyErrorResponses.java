package io.meshj.proxy.internal.call;

import io.meshj.proxy.internal.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/** Builds the responses the proxy sends on its own behalf. */
public final class ProxyErrorResponses {

    /** Names the reason for every response the proxy made up itself. */
    public static final AsciiString PROXY_ERROR_HEADER = AsciiString.cached("meshj-proxy-error");

    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    private static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    private static final AsciiString APPLICATION_GRPC = AsciiString.cached("application/grpc");

    private ProxyErrorResponses() {
    }

    /** True for gRPC requests, which get errors as gRPC statuses rather than HTTP statuses. */
    public static boolean isGrpc(HttpRequest request) {
        if (request == null) {
            return false;
        }
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return contentType != null && contentType.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    /**
     * The response for {@code error}: for gRPC a trailers-only response (HTTP 200 with
     * {@code grpc-status} and {@code grpc-message}), otherwise the error's HTTP status with the reason
     * as a plain-text body; both with {@code meshj-proxy-error}. The {@code detail} is included only
     * where it concerns the client's request ({@link ProxyError#detailForClient}).
     */
    public static FullHttpResponse of(ProxyError error, String detail, boolean grpc, ByteBufAllocator alloc) {
        String message = detail == null || detail.isEmpty() || !error.detailForClient() ? error.reason()
                : error.reason() + ": " + detail;
        FullHttpResponse response;
        if (grpc) {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
            HttpHeaders h = response.headers();
            h.set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_GRPC);
            h.set(GRPC_STATUS, Integer.toString(error.grpcStatus()));
            h.set(GRPC_MESSAGE, percentEncode(message));
        } else {
            ByteBuf body = ByteBufUtil.writeUtf8(alloc, message + "\n");
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(error.httpStatus()), body);
            HttpHeaders h = response.headers();
            h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
            h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        }
        response.headers().set(PROXY_ERROR_HEADER, headerSafe(message));
        if (error.closesConnection()) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /** gRPC's percent-encoding of grpc-message: printable ASCII except '%' stays as is. */
    static String percentEncode(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(bytes.length);
        for (byte value : bytes) {
            int c = value & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return b.toString();
    }

    private static String headerSafe(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
