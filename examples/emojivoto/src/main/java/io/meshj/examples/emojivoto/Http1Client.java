package io.meshj.examples.emojivoto;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client for GET requests: connects to one address, names another in
 * {@code Host}.
 *
 * <p>Why not {@code java.net.http.HttpClient}: behind a sidecar, the vote-bot connects to the proxy's
 * outbound listener but must ask for {@code web-svc.emojivoto:8083}, and that client refuses to set
 * {@code Host} unless {@code jdk.httpclient.allowRestrictedHeaders} is set before its first use in the
 * JVM — a JVM-wide switch that is easy to lose (any earlier user of the client wins). Plain sockets
 * have no such catch.
 *
 * <p>One connection per request ({@code Connection: close}): the bot sends a few requests per second,
 * and a fresh connection never meets a server that closed an idle one. Reads bodies framed by
 * {@code Content-Length}, by chunked encoding, or by the end of the connection. Thread-safe.
 */
final class Http1Client {

    /** Bodies larger than this are refused: the bot only reads emojivoto's small JSON documents. */
    private static final int MAX_BODY_BYTES = 1 << 20;
    private static final int MAX_LINE_BYTES = 8192;

    record Response(int status, String body) {}

    private final Options.HostPort connectTo;
    private final String host;
    private final Duration timeout;

    /**
     * @param connectTo where to connect: the sidecar's outbound listener, or the web service itself
     * @param host      the {@code Host} header, the web service's authority
     * @param timeout   for connecting, and for each read
     */
    Http1Client(Options.HostPort connectTo, String host, Duration timeout) {
        this.connectTo = connectTo;
        this.host = host;
        this.timeout = timeout;
    }

    Response get(String pathAndQuery) throws IOException {
        try (Socket socket = new Socket()) {
            // Resolved on every request, so a name that moves is followed.
            socket.connect(new InetSocketAddress(connectTo.host(), connectTo.port()), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            socket.setTcpNoDelay(true);

            OutputStream out = socket.getOutputStream();
            out.write(("GET " + pathAndQuery + " HTTP/1.1\r\n"
                    + "Host: " + host + "\r\n"
                    + "User-Agent: emojivoto-vote-bot\r\n"
                    + "Accept: application/json\r\n"
                    + "Connection: close\r\n"
                    + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();

            InputStream in = new BufferedInputStream(socket.getInputStream());
            int status;
            long contentLength;
            boolean chunked;
            do { // 1xx responses are interim: the real one follows
                status = statusCode(readLine(in));
                contentLength = -1;
                chunked = false;
                for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
                    int colon = line.indexOf(':');
                    if (colon <= 0) {
                        throw new ProtocolException("bad header line: " + line);
                    }
                    String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                    String value = line.substring(colon + 1).trim();
                    if (name.equals("content-length")) {
                        contentLength = parseLength(value);
                    } else if (name.equals("transfer-encoding")) {
                        chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
                    }
                }
            } while (status >= 100 && status < 200);

            byte[] body;
            if (status == 204 || status == 304) {
                body = new byte[0];
            } else if (chunked) { // wins over Content-Length (RFC 9112 §6.3)
                body = readChunked(in);
            } else if (contentLength >= 0) {
                body = readExactly(in, contentLength);
            } else {
                body = readToEnd(in);
            }
            return new Response(status, new String(body, StandardCharsets.UTF_8));
        }
    }

    private static int statusCode(String statusLine) throws ProtocolException {
        // HTTP/1.1 200 OK
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || parts[1].length() != 3) {
            throw new ProtocolException("bad status line: " + statusLine);
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new ProtocolException("bad status line: " + statusLine);
        }
    }

    private static long parseLength(String value) throws ProtocolException {
        try {
            long length = Long.parseLong(value);
            if (length >= 0) {
                return length;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ProtocolException("bad Content-Length: " + value);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int semicolon = sizeLine.indexOf(';'); // chunk extensions are ignored
            String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new ProtocolException("bad chunk size: " + sizeLine);
            }
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers, ignored
                }
                return body.toByteArray();
            }
            if (size < 0 || body.size() + size > MAX_BODY_BYTES) {
                throw new ProtocolException("response body over " + MAX_BODY_BYTES + " bytes");
            }
            body.write(readExactly(in, size));
            if (!readLine(in).isEmpty()) {
                throw new ProtocolException("chunk not followed by CRLF");
            }
        }
    }

    private static byte[] readExactly(InputStream in, long length) throws IOException {
        if (length > MAX_BODY_BYTES) {
            throw new ProtocolException("response body over " + MAX_BODY_BYTES + " bytes");
        }
        byte[] bytes = in.readNBytes((int) length);
        if (bytes.length != length) {
            throw new EOFException("connection closed after " + bytes.length + " of " + length + " body bytes");
        }
        return bytes;
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ProtocolException("response body over " + MAX_BODY_BYTES + " bytes");
        }
        return bytes;
    }

    /** One line without its CRLF (a bare LF is accepted too). */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed in the middle of the response head");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_LINE_BYTES) {
                throw new ProtocolException("line over " + MAX_LINE_BYTES + " bytes");
            }
            line.write(b);
        }
    }
}
