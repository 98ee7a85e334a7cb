package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.api.metrics.v1.RouteRow;
import io.meshj.api.metrics.v1.RoutesResponse;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** meshj routes' table, in Linkerd's columns, and its usage errors. */
class RoutesCommandTest {

    private static RoutesResponse response() {
        return RoutesResponse.newBuilder()
                .addRows(RouteRow.newBuilder().setRoute("GET /books").setService("web").setHasTraffic(true)
                        .setSuccessRate(0.75).setRequestsPerSecond(1.25).setLatencyP50Ms(2.4).setLatencyP95Ms(9.6)
                        .setLatencyP99Ms(9.92).setHasActualTraffic(true).setActualSuccessRate(0.5).setActualRequestsPerSecond(1.875))
                .addRows(RouteRow.newBuilder().setRoute("GET /authors/{id}").setService("web"))
                .addRows(RouteRow.newBuilder().setRoute("[DEFAULT]").setService("web").setHasTraffic(true)
                        .setSuccessRate(1).setRequestsPerSecond(0.5).setLatencyP50Ms(1).setLatencyP95Ms(1).setLatencyP99Ms(1))
                .build();
    }

    @Test
    void printsLinkerdsColumns() {
        StringWriter s = new StringWriter();
        RoutesCommand.print(new PrintWriter(s), response(), false);
        assertThat(s.toString()).isEqualTo(String.join("\n",
                "ROUTE               SERVICE   SUCCESS      RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99",
                "GET /books          web        75.00%   1.3rps           2ms          10ms          10ms",
                "GET /authors/{id}   web             -        -             -             -             -",
                "[DEFAULT]           web       100.00%   0.5rps           1ms           1ms           1ms", ""));
    }

    @Test
    void wideSplitsEffectiveAndActual() {
        StringWriter s = new StringWriter();
        RoutesCommand.print(new PrintWriter(s), response(), true);
        assertThat(s.toString().lines().toList()).containsExactly(
                "ROUTE               SERVICE   EFFECTIVE_SUCCESS   EFFECTIVE_RPS   ACTUAL_SUCCESS   ACTUAL_RPS   LATENCY_P50"
                        + "   LATENCY_P95   LATENCY_P99",
                "GET /books          web                  75.00%          1.3rps           50.00%       1.9rps           2ms"
                        + "          10ms          10ms",
                "GET /authors/{id}   web                       -               -                -            -             -"
                        + "             -             -",
                "[DEFAULT]           web                 100.00%          0.5rps                -            -           1ms"
                        + "           1ms           1ms");
    }

    @Test
    void usageErrorsAreOneLine() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), "routes", "deploy");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("meshj: RESOURCE deploy: routes needs TYPE/NAME, e.g. deploy/web\n");
        err.getBuffer().setLength(0);
        code = Main.run(new PrintWriter(out), new PrintWriter(err), "routes", "deploy/web", "-o", "yaml");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("meshj: -o yaml: use table, wide or json\n");
    }
}
