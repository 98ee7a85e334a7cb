package io.meshj.controller;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the local-mesh tests share: an application, a curl through a proxy, a free port. */
final class LocalMeshes {

    private LocalMeshes() {
    }

    /** An HTTP application on loopback answering {@code body} to everything. */
    static HttpServer app(String body) throws IOException {
        return app(body, headers -> { });
    }

    /** As {@link #app(String)}, showing {@code seen} each request's headers. */
    static HttpServer app(String body, java.util.function.Consumer<com.sun.net.httpserver.Headers> seen) throws IOException {
        HttpServer app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.createContext("/", exchange -> {
            seen.accept(exchange.getRequestHeaders());
            byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        app.start();
        return app;
    }

    /** curl through the proxy on {@code port} with {@code Host: host}: "status body". */
    static String curl(int port, String host) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("curl", "-sS", "--max-time", "10", "-H", "Host: " + host,
                "-w", "\n%{http_code}", "http://127.0.0.1:" + port + "/")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(15, TimeUnit.SECONDS);
        // curl prints the body, then a newline and the status.
        int nl = out.lastIndexOf('\n');
        return nl < 0 ? out : out.substring(nl + 1) + " " + out.substring(0, nl);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
