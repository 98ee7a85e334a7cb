package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** proxy-await returns when /ready says 200, and fails with the last answer when it never does. */
class ProxyAwaitCommandTest {

    private final StringWriter err = new StringWriter();
    private HttpServer admin;

    @AfterEach
    void stop() {
        admin.stop(0);
    }

    private String start(int notReadyAnswers) throws IOException {
        AtomicInteger asked = new AtomicInteger();
        admin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        admin.createContext("/ready", exchange -> {
            int status = asked.incrementAndGet() > notReadyAnswers ? 200 : 503;
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        admin.start();
        return "127.0.0.1:" + admin.getAddress().getPort();
    }

    @Test
    void returnsOnceTheProxyIsReady() throws IOException {
        String address = start(3);
        assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                "proxy-await", "--admin", address, "--timeout", "30s")).isZero();
    }

    @Test
    void failsWithTheLastAnswerWhenTheProxyStaysUnready() throws IOException {
        String address = start(Integer.MAX_VALUE);
        assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                "proxy-await", "--admin", address, "--timeout", "1s")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("meshj proxy-await: the proxy at " + address
                + " was not ready within 1s (HTTP 503)\n");
    }
}
