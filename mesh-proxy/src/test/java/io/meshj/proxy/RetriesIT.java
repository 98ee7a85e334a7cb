package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.RequestMatch;
import io.meshj.api.destination.v1.RetryBudget;
import io.meshj.api.destination.v1.Route;
import io.meshj.proxy.testing.Processes;
import io.meshj.proxy.testing.ProfiledProxy;
import io.meshj.proxy.testing.TestBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retries of a retryable route, with curl as the client and a backend whose {@code /flaky} requests
 * fail a given number of times: a failed attempt is sent again (with its body, over HTTP/1 and
 * HTTP/2), the client sees only the last response, and the route's series count the request once and
 * every attempt in {@code route_actual_*}. Not retried: past three attempts, a route that is not
 * retryable, a body past the replay limit, and any retry the budget does not allow.
 */
class RetriesIT {

    private static final String WEB = "http://web.default.svc.cluster.local:80";

    @TempDir
    Path dir;

    private ProfiledProxy mesh;
    private TestBackend backend;
    private MeshProxy proxy;
    private String proxyAddress;

    @AfterEach
    void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    private void start(RetryBudget budget) throws Exception {
        DestinationProfile.Builder profile = DestinationProfile.newBuilder().setFullyQualifiedName("web.default.svc.cluster.local")
                .addRoutes(Route.newBuilder().setName("retry").setIsRetryable(true)
                        .setCondition(RequestMatch.newBuilder().setPathRegex("/flaky/retry")))
                .addRoutes(Route.newBuilder().setName("once")
                        .setCondition(RequestMatch.newBuilder().setPathRegex("/flaky/once")));
        if (budget != null) {
            profile.setRetryBudget(budget);
        }
        mesh = ProfiledProxy.start(profile.build());
        backend = mesh.backend();
        proxy = mesh.proxy();
        proxyAddress = "127.0.0.1:" + proxy.outboundAddress().getPort();
    }

    /** curl through the proxy (--connect-to: the name stays in Host): "status body". */
    private String curl(String... args) throws Exception {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("-w", "%{http_code}",
                "--connect-to", "web.default.svc.cluster.local:80:" + proxyAddress));
        a.addAll(java.util.List.of(args));
        String out = Processes.curl(a.toArray(String[]::new)).assertSuccess().stdout();
        // -w prints the status after the body: put it in front.
        return out.substring(out.length() - 3) + " " + out.substring(0, out.length() - 3);
    }

    private String metric(String name, String... labels) {
        String scrape = proxy.metrics().scrape();
        double sum = 0;
        boolean found = false;
        for (String line : scrape.lines().toList()) {
            if (line.startsWith(name + "{") && java.util.Arrays.stream(labels).allMatch(line::contains)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? Double.toString(sum) : "none";
    }

    @Test
    void failedAttemptsAreSentAgainWithTheirBodyAndCountedAsAttempts() throws Exception {
        start(null);
        assertThat(curl("--data-binary", "hello body", WEB + "/flaky/retry?key=a&fails=2")).isEqualTo("200 hello body");
        assertThat(backend.attempts("a")).isEqualTo(3);

        String route = "rt_route=\"retry\"";
        assertThat(metric("route_request_total", route)).isEqualTo("1.0");
        assertThat(metric("route_actual_request_total", route)).isEqualTo("3.0");
        assertThat(metric("route_actual_response_total", route, "classification=\"failure\"", "status_code=\"503\"")).isEqualTo("2.0");
        assertThat(metric("route_actual_response_total", route, "classification=\"success\"", "status_code=\"200\"")).isEqualTo("1.0");
        assertThat(metric("route_response_total", route, "status_code=\"200\"")).isEqualTo("1.0");
        assertThat(metric("route_response_total", route, "status_code=\"503\"")).isEqualTo("none");
        // The endpoint's series count attempts, as Linkerd's do.
        assertThat(metric("response_total", "direction=\"outbound\"", "status_code=\"503\"")).isEqualTo("2.0");
        assertThat(metric("response_total", "direction=\"outbound\"", "status_code=\"200\"")).isEqualTo("1.0");
    }

    @Test
    void http2RequestsAreRetriedWithAndWithoutBodies() throws Exception {
        start(null);
        assertThat(curl("--http2-prior-knowledge", WEB + "/flaky/retry?key=get&fails=1")).isEqualTo("200 ");
        assertThat(curl("--http2-prior-knowledge", "--data-binary", "h2 body", WEB + "/flaky/retry?key=post&fails=1"))
                .isEqualTo("200 h2 body");
        assertThat(backend.attempts("get")).isEqualTo(2);
        assertThat(backend.attempts("post")).isEqualTo(2);
    }

    @Test
    void aTrailersOnlyGrpcFailureIsRetried() throws Exception {
        start(null);
        assertThat(curl("--http2-prior-knowledge", "-H", "content-type: application/grpc",
                WEB + "/flaky/retry?key=g&fails=1&grpc=1")).isEqualTo("200 ");
        assertThat(backend.attempts("g")).isEqualTo(2);
        assertThat(metric("route_actual_response_total", "rt_route=\"retry\"", "classification=\"failure\"")).isEqualTo("1.0");
    }

    @Test
    void aBodyUpToTheReplayLimitIsRetriedAndALargerOneIsNot() throws Exception {
        start(null);
        Path small = Files.write(dir.resolve("small"), pattern(60 * 1024));
        Path large = Files.write(dir.resolve("large"), pattern(100 * 1024));
        String echoed = curl("--data-binary", "@" + small, WEB + "/flaky/retry?key=small&fails=1");
        assertThat(echoed).startsWith("200 ").hasSize(4 + 60 * 1024);
        assertThat(echoed.substring(4).getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(pattern(60 * 1024));
        assertThat(backend.attempts("small")).isEqualTo(2);
        assertThat(curl("--data-binary", "@" + large, WEB + "/flaky/retry?key=large&fails=1")).isEqualTo("503 failure 1\n");
        assertThat(backend.attempts("large")).isEqualTo(1);
    }

    @Test
    void aRequestIsTriedThreeTimesAtMost() throws Exception {
        start(null);
        assertThat(curl(WEB + "/flaky/retry?key=down&fails=10")).isEqualTo("503 failure 3\n");
        assertThat(backend.attempts("down")).isEqualTo(3);
        assertThat(metric("route_response_total", "rt_route=\"retry\"", "status_code=\"503\"")).isEqualTo("1.0");
        assertThat(metric("route_actual_response_total", "rt_route=\"retry\"", "status_code=\"503\"")).isEqualTo("3.0");
    }

    @Test
    void aRouteThatIsNotRetryableIsNotRetried() throws Exception {
        start(null);
        assertThat(curl(WEB + "/flaky/once?key=once&fails=1")).isEqualTo("503 failure 1\n");
        assertThat(backend.attempts("once")).isEqualTo(1);
        assertThat(metric("route_actual_request_total", "rt_route=\"once\"")).isEqualTo("1.0");
    }

    @Test
    void noRetryWithoutBudget() throws Exception {
        // Requests earn nothing and there is no reserve: the budget allows no retry at all.
        start(RetryBudget.newBuilder().setRetryRatio(0).setMinRetriesPerSecond(0)
                .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(10)).build());
        assertThat(curl(WEB + "/flaky/retry?key=broke&fails=1")).isEqualTo("503 failure 1\n");
        assertThat(backend.attempts("broke")).isEqualTo(1);
    }

    /** Bytes that are not all alike, so that a body put together wrongly shows. */
    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }
}
