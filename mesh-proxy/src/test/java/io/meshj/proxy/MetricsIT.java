package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact metric values after a scripted sequence through a proxy pair — successes, 5xx, a gRPC error
 * carried in trailers, an endpoint that refuses connections — in Linkerd's names and labels, and promtool's approval
 * of the exposition.
 */
class MetricsIT {

    @TempDir
    Path dir;

    @Test
    void aScriptedSequenceGivesExactSeries() throws Exception {
        try (MeshFixture mesh = new MeshFixture(dir).start()) {
            for (int i = 0; i < 3; i++) {
                Processes.curl("-sf", "-H", "Host: web", mesh.outboundUrl("/hello")).assertSuccess();
            }
            for (int i = 0; i < 2; i++) {
                Processes.curl("-s", "-H", "Host: web", mesh.outboundUrl("/status?code=503")).assertSuccess();
            }
            Processes.curl("-s", "--http2-prior-knowledge", "-o", "/dev/null", "-H", "Host: web",
                    mesh.outboundUrl("/grpc-status?code=14")).assertSuccess();
            // An endpoint nobody listens on: the proxy answers 502 itself, a failure of that target.
            Processes.curl("-s", "-H", "Host: dead.default:80", mesh.outboundUrl("/")).assertSuccess();

            String out = mesh.client().metrics().scrape();
            String web = "authority=\"web\"";
            assertThat(sum(out, "request_total", "direction=\"outbound\"", web)).isEqualTo(6.0);
            assertThat(series(out, "response_total", "authority=\"dead.default:80\"", "status_code=\"502\"",
                    "classification=\"failure\"")).isEqualTo(1.0);
            assertThat(series(out, "meshj_proxy_errors_total", "direction=\"outbound\"", "reason=\"connect_failed\""))
                    .isEqualTo(1.0);
            assertThat(series(out, "response_total", web, "status_code=\"200\"", "classification=\"success\"", "!grpc_status"))
                    .isEqualTo(3.0);
            assertThat(series(out, "response_total", web, "status_code=\"503\"", "classification=\"failure\"")).isEqualTo(2.0);
            assertThat(series(out, "response_total", web, "status_code=\"200\"", "grpc_status=\"14\"", "classification=\"failure\""))
                    .isEqualTo(1.0);
            // Discovery said nothing of identities here: plaintext, and why.
            assertThat(out).contains("no_tls_reason=\"not_provided_by_service_discovery\"")
                    .contains("target_addr=\"127.0.0.1:" + mesh.backend().port() + "\"");
            assertThat(series(out, "response_latency_ms_count", web, "status_code=\"200\"")).isEqualTo(4.0); // 3 + the gRPC one
            assertThat(series(out, "response_latency_ms_bucket", web, "status_code=\"503\"", "le=\"+Inf\"")).isEqualTo(2.0);
            assertThat(sum(out, "tcp_open_total", "direction=\"outbound\"", "peer=\"src\"")).isEqualTo(7.0); // one per curl
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    sum(mesh.client().metrics().scrape(), "tcp_open_connections", "direction=\"outbound\"", "peer=\"src\"")).isEqualTo(0.0));

            // The connections the client proxy made: to the server proxy, HTTP/2 shared by all requests
            // (one per event loop at most), metered by the endpoint they carry traffic for.
            assertThat(sum(out, "tcp_open_total", "direction=\"outbound\"", "peer=\"dst\"",
                    "target_addr=\"127.0.0.1:" + mesh.backend().port() + "\"")).isBetween(1.0, 2.0);
            assertThat(sum(out, "tcp_write_bytes_total", "direction=\"outbound\"", "peer=\"dst\"")).isPositive();

            // The server proxy saw them all arrive, inbound, with the application's address as target.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(sum(mesh.server().metrics().scrape(), "response_total", "direction=\"inbound\"")).isEqualTo(6.0));
            String in = mesh.server().metrics().scrape();
            assertThat(sum(in, "request_total", "direction=\"inbound\"")).isEqualTo(6.0);
            assertThat(series(in, "response_total", "direction=\"inbound\"", "status_code=\"503\"")).isEqualTo(2.0);
            assertThat(in).contains("no_tls_reason=\"no_tls_from_remote\"");
            assertThat(sum(in, "tcp_read_bytes_total", "direction=\"inbound\"", "peer=\"dst\"", "tls=\"no_identity\"",
                    "no_tls_reason=\"loopback\"")).isPositive(); // the application's answers

            promtoolAccepts(out);
            promtoolAccepts(in);
        }
    }

    @Test
    void aClientThatGoesAwayIsNoFailureOfTheDestination() throws Exception {
        try (MeshFixture mesh = new MeshFixture(dir).start()) {
            // curl gives up after a second on an HTTP/2 response due in five: a request and no response at
            // all; the proxies cancel it upstream instead of waiting. (An HTTP/1 client's close cannot be
            // told from a half-close, after which the answer is still due: HttpProxyIT.)
            assertThat(Processes.curl("-s", "--http2-prior-knowledge", "--max-time", "1", "-H", "Host: web",
                    mesh.outboundUrl("/slow?ms=5000")).exitCode()).isEqualTo(28);
            Processes.curl("-sf", "-H", "Host: web", mesh.outboundUrl("/hello")).assertSuccess();
            // The client proxy learns of it well within the slow response's five seconds: it closes curl's
            // connection and resets its stream to the server proxy. (The server proxy's part is weaker: before
            // the five seconds are up it has recorded nothing for that stream either way; what this shows
            // there is that the request arrived and no failure was counted.)
            await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
                assertThat(sum(mesh.client().metrics().scrape(), "tcp_open_connections", "direction=\"outbound\"",
                        "peer=\"src\"")).isEqualTo(0.0);
                assertThat(sum(mesh.server().metrics().scrape(), "request_total", "direction=\"inbound\"")).isEqualTo(2.0);
            });
            for (String scrape : List.of(mesh.client().metrics().scrape(), mesh.server().metrics().scrape())) {
                assertThat(sum(scrape, "request_total")).isEqualTo(2.0);
                assertThat(sum(scrape, "response_total", "classification=\"failure\"")).as(scrape).isZero();
                assertThat(sum(scrape, "response_total", "classification=\"success\"")).as(scrape).isEqualTo(1.0);
            }
        }
    }

    /**
     * promtool parses the exposition without error (exit 1 would say otherwise); its only style remarks
     * (exit 3) may be about {@code response_latency_ms}, whose name is Linkerd's and stays so that
     * existing dashboards work.
     */
    private void promtoolAccepts(String scrape) throws Exception {
        Path file = Files.writeString(dir.resolve("metrics-" + scrape.hashCode() + ".txt"), scrape);
        Processes.Result r = Processes.run(Duration.ofSeconds(30), List.of("sh", "-c", "promtool check metrics < " + file));
        String remarks = r.stdout() + r.stderr();
        assertThat(r.exitCode()).as("promtool check metrics: %s", remarks).isIn(0, 3);
        assertThat(remarks.lines().filter(l -> !l.isBlank()))
                .allSatisfy(l -> assertThat(l).startsWith("response_latency_ms").contains("abbreviated units"));
    }

    /** The value of the one series of {@code name} whose line has every fragment ("!x": lacks x). */
    static double series(String scrape, String name, String... fragments) {
        List<String> lines = matching(scrape, name, fragments);
        assertThat(lines).as("%s with %s in\n%s", name, List.of(fragments), scrape).hasSize(1);
        return value(lines.get(0));
    }

    /** The sum of the series of {@code name} whose lines have every fragment. */
    static double sum(String scrape, String name, String... fragments) {
        return matching(scrape, name, fragments).stream().mapToDouble(MetricsIT::value).sum();
    }

    private static List<String> matching(String scrape, String name, String... fragments) {
        return scrape.lines().filter(l -> l.startsWith(name + "{")).filter(l -> {
            for (String f : fragments) {
                if (f.startsWith("!") ? l.contains(f.substring(1)) : !l.contains(f)) {
                    return false;
                }
            }
            return true;
        }).toList();
    }

    private static double value(String line) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
}
