package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The vote-bot's HTTP client against the JDK's HTTP server. */
class Http1ClientTest {

    private HttpServer server;
    private final AtomicReference<String> hostSeen = new AtomicReference<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/fixed", exchange -> {
            hostSeen.set(exchange.getRequestHeaders().getFirst("Host"));
            byte[] body = "{\"fixed\":\"😂\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/chunked", exchange -> {
            exchange.sendResponseHeaders(500, 0); // 0: chunked
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 3; i++) {
                    out.write(("part" + i + ";").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private Http1Client client(String host) {
        return new Http1Client(new Options.HostPort("127.0.0.1", server.getAddress().getPort()), host, Duration.ofSeconds(5));
    }

    @Test
    void sendsTheHostItIsGivenNotTheAddressItConnectsTo() throws IOException {
        Http1Client.Response response = client("web-svc.emojivoto:8083").get("/fixed?x=1");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"fixed\":\"😂\"}");
        assertThat(hostSeen.get()).isEqualTo("web-svc.emojivoto:8083");
    }

    @Test
    void readsChunkedBodies() throws IOException {
        Http1Client.Response response = client("localhost").get("/chunked");

        assertThat(response.status()).isEqualTo(500);
        assertThat(response.body()).isEqualTo("part0;part1;part2;");
    }

    @Test
    void aRefusedConnectionIsAnIOException() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Http1Client client = new Http1Client(new Options.HostPort("127.0.0.1", closedPort), "web", Duration.ofSeconds(1));

        assertThatThrownBy(() -> client.get("/")).isInstanceOf(IOException.class);
    }
}
