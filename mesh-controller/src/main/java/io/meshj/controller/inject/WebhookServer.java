package io.meshj.controller.inject;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.meshj.tls.Pem;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Serves the {@link InjectionWebhook} to the Kubernetes API server: HTTPS with the certificate
 * {@code meshj install} made for the webhook's Service ({@code tls.crt}/{@code tls.key} of a mounted
 * {@code kubernetes.io/tls} Secret), POST {@code /inject}. Reviews are small and rare (one per pod
 * created), so the JDK's server on two threads is enough; bodies are capped, so a client cannot make
 * it hold unbounded memory.
 */
public final class WebhookServer implements AutoCloseable {

    /** The largest review read; a Pod is far smaller (the API server itself caps objects near 1.5 MiB). */
    static final int MAX_BODY = 4 * 1024 * 1024;

    private final HttpsServer server;
    private final ExecutorService threads;

    private WebhookServer(HttpsServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    /**
     * Listens on {@code listen} with the PEM certificate chain and key in {@code tlsDir}.
     *
     * @throws IllegalArgumentException naming the file that cannot be read or used
     */
    public static WebhookServer start(InetSocketAddress listen, Path tlsDir, InjectionWebhook webhook) {
        SSLContext tls = sslContext(tlsDir.resolve("tls.crt"), tlsDir.resolve("tls.key"));
        HttpsServer server;
        try {
            server = HttpsServer.create(listen, 64);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + listen + " for the injector webhook: " + e.getMessage(), e);
        }
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/inject", exchange -> handle(exchange, webhook));
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "meshj-webhook");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.start();
        return new WebhookServer(server, threads);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private static void handle(HttpExchange exchange, InjectionWebhook webhook) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                respond(exchange, 405, "text/plain", "POST an AdmissionReview\n");
                return;
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(MAX_BODY + 1);
            }
            if (body.length > MAX_BODY) {
                respond(exchange, 413, "text/plain", "an AdmissionReview of more than " + MAX_BODY + " bytes\n");
                return;
            }
            String answer;
            try {
                answer = webhook.review(new String(body, StandardCharsets.UTF_8));
            } catch (InjectionWebhook.MalformedReviewException e) {
                respond(exchange, 400, "text/plain", e.getMessage() + "\n");
                return;
            }
            respond(exchange, 200, "application/json", answer);
        }
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static SSLContext sslContext(Path certificateFile, Path keyFile) {
        List<X509Certificate> chain = Pem.certificates(read(certificateFile), certificateFile.toString());
        PrivateKey key = Pem.privateKey(read(keyFile), keyFile.toString());
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] password = new char[0];
            store.setKeyEntry("webhook", key, password, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(certificateFile + ", " + keyFile + ": cannot serve TLS with them: " + e.getMessage(), e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
