package io.meshj.proxy.internal.detect;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Decides a connection's protocol from its first bytes, without consuming them.
 *
 * <ul>
 *   <li>The 24-byte HTTP/2 preface ({@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}, RFC 9113 §3.4) → HTTP/2.</li>
 *   <li>A common method followed by a space ({@code GET }, {@code POST }, ...) → HTTP/1 at once: no
 *       opaque protocol starts that way, and deciding early lets the HTTP codec, not the detector,
 *       reject a megabyte-long request line (with 414).</li>
 *   <li>Otherwise a complete first line of the form {@code token SP target SP HTTP/1.x} → HTTP/1.</li>
 *   <li>Anything else → opaque, as soon as the bytes rule HTTP out (TLS, Redis, binary protocols decide
 *       on their first byte), or when {@link #MAX_PEEK} bytes show no line end.</li>
 * </ul>
 *
 * <p>Linkerd's proxy detects the same way (preface, then an HTTP/1 request-line parse); the timeout
 * that turns silence into "opaque" is the caller's.
 */
public final class ProtocolDetector {

    /** The most bytes looked at before giving up on finding an HTTP/1 request line. */
    public static final int MAX_PEEK = 16 * 1024;

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[][] METHODS = {
        bytes("GET "), bytes("POST "), bytes("PUT "), bytes("DELETE "), bytes("HEAD "),
        bytes("OPTIONS "), bytes("PATCH "), bytes("CONNECT "), bytes("TRACE "),
    };

    private ProtocolDetector() {
    }

    /**
     * The protocol of a connection whose first readable bytes are in {@code in}, or {@code null} when
     * more bytes are needed to tell. Does not move the reader index.
     */
    public static Protocol detect(ByteBuf in) {
        int start = in.readerIndex();
        int n = in.readableBytes();
        if (n == 0) {
            return null;
        }
        int prefaceMatch = matchPrefix(in, start, n, PREFACE);
        if (prefaceMatch == PREFACE.length) {
            return Protocol.HTTP2;
        }
        if (prefaceMatch == n) {
            return null; // so far, a prefix of the preface
        }
        boolean couldBeMethod = false;
        for (byte[] method : METHODS) {
            int m = matchPrefix(in, start, n, method);
            if (m == method.length) {
                return Protocol.HTTP1;
            }
            couldBeMethod |= m == n;
        }
        return requestLine(in, start, n, couldBeMethod);
    }

    /** Checks the generic request-line shape: {@code token SP target SP HTTP/1.[01] CRLF}. */
    private static Protocol requestLine(ByteBuf in, int start, int n, boolean couldBeMethod) {
        int limit = Math.min(n, MAX_PEEK);
        int i = 0;
        // Method: a token (RFC 9110 §5.6.2).
        while (i < limit && isTokenChar(in.getByte(start + i))) {
            i++;
        }
        if (i == limit) {
            return n >= MAX_PEEK ? Protocol.OPAQUE : null;
        }
        if (i == 0 || in.getByte(start + i) != ' ') {
            return couldBeMethod ? null : Protocol.OPAQUE;
        }
        i++;
        // Request target: visible ASCII up to the next space.
        int targetStart = i;
        while (i < limit && isVisible(in.getByte(start + i))) {
            i++;
        }
        if (i == limit) {
            return n >= MAX_PEEK ? Protocol.OPAQUE : null;
        }
        if (i == targetStart || in.getByte(start + i) != ' ') {
            return Protocol.OPAQUE;
        }
        i++;
        // Version and line end.
        byte[] version = {'H', 'T', 'T', 'P', '/', '1', '.'};
        for (byte b : version) {
            if (i == limit) {
                return n >= MAX_PEEK ? Protocol.OPAQUE : null;
            }
            if (in.getByte(start + i) != b) {
                return Protocol.OPAQUE;
            }
            i++;
        }
        if (i == limit) {
            return n >= MAX_PEEK ? Protocol.OPAQUE : null;
        }
        byte minor = in.getByte(start + i);
        if (minor != '0' && minor != '1') {
            return Protocol.OPAQUE;
        }
        i++;
        if (i == limit) {
            return n >= MAX_PEEK ? Protocol.OPAQUE : null;
        }
        byte end = in.getByte(start + i);
        return end == '\r' || end == '\n' ? Protocol.HTTP1 : Protocol.OPAQUE;
    }

    /** How many leading bytes of {@code in} match {@code expected} (at most the shorter length). */
    private static int matchPrefix(ByteBuf in, int start, int n, byte[] expected) {
        int len = Math.min(n, expected.length);
        for (int i = 0; i < len; i++) {
            if (in.getByte(start + i) != expected[i]) {
                return i;
            }
        }
        return len;
    }

    private static boolean isTokenChar(byte b) {
        if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
            return true;
        }
        return "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
    }

    private static boolean isVisible(byte b) {
        return b > 0x20 && b < 0x7f;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
