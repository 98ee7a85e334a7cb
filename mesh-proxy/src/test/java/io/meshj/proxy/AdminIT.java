package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import io.meshj.proxy.testing.Processes.Result;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin server and graceful shutdown, against a real proxy pair. */
class AdminIT {

    @TempDir
    Path dir;

    @Test
    void liveReadyMetricsAndNotFound() throws Exception {
        try (MeshFixture mesh = new MeshFixture(dir).start()) {
            assertThat(Processes.curl("-i", mesh.adminUrl(mesh.client(), "/live")).assertSuccess().stdout())
                    .startsWith("HTTP/1.1 200").endsWith("live\n");
            assertThat(Processes.curl("-i", mesh.adminUrl(mesh.client(), "/ready")).assertSuccess().stdout())
                    .startsWith("HTTP/1.1 200").endsWith("ready\n");
            Processes.curl("-H", "Host: web", mesh.outboundUrl("/hello")).assertSuccess();
            String metrics = Processes.curl(mesh.adminUrl(mesh.client(), "/metrics")).assertSuccess().stdout();
            assertThat(metrics).containsPattern("request_total\\{authority=\"web\",direction=\"outbound\",[^}]*\\} 1.0")
                    .contains("# TYPE tcp_open_connections gauge");
            assertThat(Processes.curl("-i", mesh.adminUrl(mesh.client(), "/nope")).assertSuccess().stdout())
                    .startsWith("HTTP/1.1 404");
            assertThat(Processes.curl("-i", mesh.adminUrl(mesh.client(), "/identity")).assertSuccess().stdout())
                    .startsWith("HTTP/1.1 404").contains("has no certificate");
            assertThat(metrics).doesNotContain("identity_cert_"); // no identity, no identity metrics
            assertThat(Processes.curl("-i", "-X", "GET", mesh.adminUrl(mesh.client(), "/shutdown")).assertSuccess().stdout())
                    .startsWith("HTTP/1.1 405");
        }
    }

    @Test
    void shutdownDrainsInFlightRequestsAndRefusesNewOnes() throws Exception {
        try (MeshFixture mesh = new MeshFixture(dir).start()) {
            CompletableFuture<Result> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return Processes.curl("-i", "-H", "Host: web", mesh.outboundUrl("/slow?ms=1500"));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // Wait until the request is in flight (the backend has it), then shut down.
            assertThat(mesh.backend().nextSeen().uri()).isEqualTo("/slow?ms=1500");
            Result shutdown = Processes.curl("-i", "-X", "POST", mesh.adminUrl(mesh.client(), "/shutdown")).assertSuccess();
            assertThat(shutdown.stdout()).startsWith("HTTP/1.1 200");

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(Processes.curl("-i", mesh.adminUrl(mesh.client(), "/ready")).stdout()).startsWith("HTTP/1.1 503"));
            int outbound = mesh.client().outboundAddress().getPort();
            await().atMost(Duration.ofSeconds(5)).until(() -> refuses(outbound));

            // The in-flight request still completes, with a "close" so its client does not reuse the connection.
            Result r = slow.get();
            assertThat(r.stdout()).startsWith("HTTP/1.1 200").contains("connection: close").endsWith("slow\n");
            mesh.client().terminationFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private static boolean refuses(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
