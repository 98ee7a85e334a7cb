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

    /** The line a proxy logs once its listeners are bound, with its outbound port. */
    static final java.util.regex.Pattern OUTBOUND = java.util.regex.Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");

    /** An application answering 500 to /fail and 200 "ok" to anything else: a known success rate for scripted load. */
    static HttpServer failingApp() throws IOException {
        HttpServer app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.createContext("/", exchange -> {
            int status = exchange.getRequestURI().getPath().equals("/fail") ? 500 : 200;
            byte[] body = "ok\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        return app;
    }

    /**
     * The plaintext pair the stat tests drive, against a local controller at {@code destination} whose
     * data is in {@code home}: web-1's proxy in front of {@code appPort}, registered as web.default
     * (with a token from that controller), and a client's proxy, not registered. Returns {server, client}.
     */
    static MeshjProcess[] webAndClient(java.nio.file.Path dir, String destination, String home, int appPort)
            throws IOException, InterruptedException {
        java.nio.file.Path token = java.nio.file.Files.writeString(dir.resolve("web.token"),
                MeshjProcess.run("identity", "token", "--sa", "web", "--data-dir", home));
        MeshjProcess server = MeshjProcess.start(dir.resolve("server-proxy.log"),
                java.util.regex.Pattern.compile("registered web.default"),
                "proxy", "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0",
                "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0", "--app-ports", Integer.toString(appPort),
                "--destination", destination, "--register", "web.default:" + appPort, "--workload-name", "web-1",
                "--identity-token-file", token.toString(), "--service-account", "web");
        try {
            MeshjProcess client = MeshjProcess.start(dir.resolve("client-proxy.log"), OUTBOUND, "proxy",
                    "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                    "--tap-listen", "127.0.0.1:0", "--destination", destination);
            return new MeshjProcess[] {server, client};
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
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
