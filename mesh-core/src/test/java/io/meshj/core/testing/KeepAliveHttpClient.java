package io.meshj.core.testing;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client on one keep-alive connection, for load in tests: the JDK's client may not
 * set the Host header, and a proxy routes by it. Responses must carry a Content-Length.
 */
public final class KeepAliveHttpClient implements AutoCloseable {

    private final Socket socket;
    private final BufferedInputStream in;

    public KeepAliveHttpClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new BufferedInputStream(socket.getInputStream());
    }

    /** One GET: "status body", with " [meshj-proxy-error: ...]" when the proxy answered itself. */
    public String get(String host, String path) throws IOException {
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        String status = line();
        int length = -1;
        String error = "";
        for (String h = line(); !h.isEmpty(); h = line()) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(h.substring(15).strip());
            } else if (lower.startsWith("meshj-proxy-error:")) {
                error = " [" + h + "]";
            }
        }
        if (length < 0) {
            throw new IOException("no content-length in the response: " + status + error);
        }
        String body = new String(in.readNBytes(length), StandardCharsets.US_ASCII);
        return status.split(" ")[1] + " " + body + error;
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("connection closed after \"" + b + "\"");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
