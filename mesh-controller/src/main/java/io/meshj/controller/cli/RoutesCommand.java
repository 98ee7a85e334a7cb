package io.meshj.controller.cli;

import io.meshj.api.metrics.v1.Resource;
import io.meshj.api.metrics.v1.RouteRow;
import io.meshj.api.metrics.v1.RoutesRequest;
import io.meshj.api.metrics.v1.RoutesResponse;
import io.meshj.core.time.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code meshj routes}: Linkerd's {@code viz routes} — success rate, RPS and latency per route of the
 * service profiles of a resource's services, from the proxies' {@code route_*} series as the
 * controller scraped them; {@code [DEFAULT]} is the traffic no declared route matched.
 */
@Command(name = "routes", mixinStandardHelpOptions = true,
        description = "Success rate, requests per second and latency percentiles of each route of the service"
                + " profiles of a resource's services: the traffic it served, or with --to the traffic it sent there.")
final class RoutesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RESOURCE", description = "TYPE/NAME; TYPE is deploy, pod, svc or ns (e.g. deploy/web).")
    String resource;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "The namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--to", paramLabel = "RESOURCE",
            description = "The routes of this resource's services, as the resource's outbound traffic to them (TYPE/NAME).")
    String to;

    @Option(names = "--to-namespace", paramLabel = "NS", description = "The namespace of --to (default: that of RESOURCE).")
    String toNamespace;

    @Option(names = {"-t", "--time-window"}, defaultValue = "1m", description = "The window to report on (default: ${DEFAULT-VALUE}).")
    String window;

    @Option(names = {"-o", "--output"}, defaultValue = "table",
            description = "table, wide or json (default: ${DEFAULT-VALUE}). wide shows Linkerd's effective (each request"
                    + " once, by its last attempt) and actual (every attempt, retries included) success and RPS.")
    String output;

    @Option(names = "--destination", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8086",
            description = "The controller (default: ${DEFAULT-VALUE}).")
    String destination;

    @CommandLine.Mixin
    ControllerTlsOptions tls;

    @Override
    public Integer call() {
        String format = output.toLowerCase(Locale.ROOT);
        if (!List.of("table", "wide", "json").contains(format)) {
            throw new ParameterException(spec.commandLine(), "-o " + output + ": use table, wide or json");
        }
        Duration d;
        try {
            d = Durations.parse(window);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--time-window " + window + ": " + e.getMessage());
        }
        ResourceArg r = ResourceArg.parse(spec.commandLine(), "RESOURCE", resource);
        if (r.name().isEmpty()) {
            throw new ParameterException(spec.commandLine(), "RESOURCE " + resource + ": routes needs TYPE/NAME, e.g. deploy/web");
        }
        if (toNamespace != null && to == null) {
            throw new ParameterException(spec.commandLine(), "--to-namespace " + toNamespace + ": needs --to");
        }
        RoutesRequest.Builder request = RoutesRequest.newBuilder()
                .setResource(Resource.newBuilder().setType(r.type()).setName(r.name()).setNamespace(namespace))
                .setWindow(com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()));
        if (to != null) {
            ResourceArg t = ResourceArg.parse(spec.commandLine(), "--to", to);
            if (t.name().isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--to " + to + ": needs TYPE/NAME, e.g. deploy/web");
            }
            request.setTo(Resource.newBuilder().setType(t.type()).setName(t.name())
                    .setNamespace(toNamespace == null ? namespace : toNamespace));
        }
        RoutesResponse response;
        try (DestinationClient client = DestinationClient.connect(spec.commandLine(), destination, tls)) {
            response = client.routes(request.build());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (response.getServicesWithProfileCount() == 0) {
            // As Linkerd: routes are those of service profiles, and without one there is nothing to show.
            String of = to != null ? to + " (--to)" : resource;
            throw new IllegalArgumentException("No ServiceProfiles found for " + of + " in namespace "
                    + (to != null && toNamespace != null ? toNamespace : namespace)
                    + (response.getServicesCount() == 0 ? " (it has no service)"
                            : ": services " + String.join(", ", response.getServicesList())
                            + " have none (put them in the controller's profiles directory, or apply ServiceProfile resources)"));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format.equals("json")) {
            out.println(Json.write(json(response)));
        } else {
            print(out, response, format.equals("wide"));
        }
        out.flush();
        return 0;
    }

    /** Linkerd's columns; {@code wide} splits SUCCESS and RPS into its effective and actual ones. */
    static void print(PrintWriter out, RoutesResponse response, boolean wide) {
        List<String[]> rows = new ArrayList<>();
        rows.add(wide
                ? new String[] {"ROUTE", "SERVICE", "EFFECTIVE_SUCCESS", "EFFECTIVE_RPS", "ACTUAL_SUCCESS", "ACTUAL_RPS",
                    "LATENCY_P50", "LATENCY_P95", "LATENCY_P99"}
                : new String[] {"ROUTE", "SERVICE", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99"});
        for (RouteRow r : response.getRowsList()) {
            String success = r.getHasTraffic() ? String.format(Locale.ROOT, "%.2f%%", r.getSuccessRate() * 100) : "-";
            String rps = r.getHasTraffic() ? String.format(Locale.ROOT, "%.1frps", r.getRequestsPerSecond()) : "-";
            List<String> row = new ArrayList<>(List.of(r.getRoute(), r.getService(), success, rps));
            if (wide) {
                row.add(r.getHasActualTraffic() ? String.format(Locale.ROOT, "%.2f%%", r.getActualSuccessRate() * 100) : "-");
                row.add(r.getHasActualTraffic() ? String.format(Locale.ROOT, "%.1frps", r.getActualRequestsPerSecond()) : "-");
            }
            row.addAll(List.of(latency(r, r.getLatencyP50Ms()), latency(r, r.getLatencyP95Ms()), latency(r, r.getLatencyP99Ms())));
            rows.add(row.toArray(new String[0]));
        }
        boolean[] right = new boolean[rows.get(0).length];
        for (int i = 2; i < right.length; i++) {
            right[i] = true;
        }
        Table.print(out, rows, right);
    }

    private static String latency(RouteRow r, double ms) {
        return r.getHasTraffic() && !Double.isNaN(ms) ? Math.round(ms) + "ms" : "-";
    }

    private static List<Map<String, Object>> json(RoutesResponse response) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (RouteRow r : response.getRowsList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("route", r.getRoute());
            m.put("service", r.getService());
            m.put("authority", r.getAuthority());
            if (r.getHasTraffic()) {
                m.put("success", r.getSuccessRate());
                m.put("rps", r.getRequestsPerSecond());
                if (r.getHasActualTraffic()) {
                    m.put("actual_success", r.getActualSuccessRate());
                    m.put("actual_rps", r.getActualRequestsPerSecond());
                }
                for (Object[] q : new Object[][] {{"latency_ms_p50", r.getLatencyP50Ms()}, {"latency_ms_p95", r.getLatencyP95Ms()},
                        {"latency_ms_p99", r.getLatencyP99Ms()}}) {
                    double v = (Double) q[1];
                    if (!Double.isNaN(v) && !Double.isInfinite(v)) {
                        m.put((String) q[0], v);
                    }
                }
            }
            out.add(m);
        }
        return out;
    }
}
