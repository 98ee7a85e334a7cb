package io.meshj.controller.cli;

import io.meshj.api.metrics.v1.StatRequest;
import io.meshj.api.metrics.v1.StatResponse;
import io.meshj.api.metrics.v1.StatRow;
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
 * {@code meshj stat}: golden metrics per resource, in Linkerd's columns, from the controller's scrapes
 * of the proxies (no Prometheus server needed), or with {@code --prometheus} from a Prometheus server
 * that scrapes them ({@link PrometheusStats}).
 */
@Command(name = "stat", mixinStandardHelpOptions = true,
        description = "Success rate, requests per second, latency percentiles and TCP connections of meshed"
                + " resources, from their proxies' inbound traffic over a time window (with --to or --from, from"
                + " the clients' outbound traffic).")
final class StatCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RESOURCE",
            description = "TYPE or TYPE/NAME; TYPE is deploy, pod, svc or ns (e.g. deploy, deploy/web, po/web-1).")
    String resource;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "The namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = {"-A", "--all-namespaces"}, description = "Every namespace.")
    boolean allNamespaces;

    @Option(names = {"-t", "--time-window"}, defaultValue = "1m", description = "The window to report on (default: ${DEFAULT-VALUE}).")
    String window;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table, wide or json (default: ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--destination", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8086",
            description = "The controller (default: ${DEFAULT-VALUE}).")
    String destination;

    @Option(names = "--prometheus", paramLabel = "URL",
            description = "Take the traffic numbers from this Prometheus server (e.g. http://127.0.0.1:9090) instead of"
                    + " the controller's scrapes; it must scrape the proxies' admin /metrics with the target labels"
                    + " namespace, pod, deployment and service. Resources and MESHED still come from the controller.")
    String prometheus;

    @CommandLine.Mixin
    ControllerTlsOptions tls;

    @CommandLine.Mixin
    StatPeerOptions peer;

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
        int slash = resource.indexOf('/');
        String type = slash < 0 ? resource : resource.substring(0, slash);
        String name = slash < 0 ? "" : resource.substring(slash + 1);
        StatRequest.Builder builder = StatRequest.newBuilder()
                .setNamespace(allNamespaces || type.startsWith("ns") || type.startsWith("namespace") ? "" : namespace)
                .setResourceType(type).setResourceName(name)
                .setWindow(com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()));
        peer.apply(spec.commandLine(), builder);
        StatRequest request = builder.build();
        if (prometheus != null && (peer.to != null || peer.from != null)) {
            throw new ParameterException(spec.commandLine(), "--to and --from are answered from the controller's"
                    + " scrapes only: leave out --prometheus");
        }
        PrometheusStats fromPrometheus = prometheus == null ? null : PrometheusStats.of(spec.commandLine(), prometheus);
        StatResponse response;
        try (DestinationClient client = DestinationClient.connect(spec.commandLine(), destination, tls)) {
            response = fromPrometheus == null ? client.stat(request) : fromPrometheus.stat(client::stat, request);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format.equals("json")) {
            out.println(Json.write(json(response)));
        } else if (response.getRowsCount() == 0) {
            out.println("No traffic found.");
        } else {
            print(out, response, format.equals("wide") || allNamespaces, format.equals("wide"));
        }
        out.flush();
        return 0;
    }

    /** The table; {@code wide} adds Linkerd's READ_BYTES/SEC and WRITE_BYTES/SEC. */
    static void print(PrintWriter out, StatResponse response, boolean withNamespace, boolean wide) {
        List<String[]> rows = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("NAME", "MESHED", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95",
                "LATENCY_P99", "TCP_CONN"));
        if (withNamespace) {
            head.add(0, "NAMESPACE");
        }
        if (wide) {
            head.addAll(List.of("READ_BYTES/SEC", "WRITE_BYTES/SEC"));
        }
        rows.add(head.toArray(new String[0]));
        for (StatRow r : response.getRowsList()) {
            List<String> row = new ArrayList<>(List.of(r.getName(), r.getMeshedPods() + "/" + r.getPods(),
                    r.getHasTraffic() ? String.format(Locale.ROOT, "%.2f%%", r.getSuccessRate() * 100) : "-",
                    r.getHasTraffic() ? String.format(Locale.ROOT, "%.1frps", r.getRequestsPerSecond()) : "-",
                    latency(r, r.getLatencyP50Ms()), latency(r, r.getLatencyP95Ms()), latency(r, r.getLatencyP99Ms()),
                    Long.toString(r.getTcpConnections())));
            if (withNamespace) {
                row.add(0, r.getNamespace());
            }
            if (wide) {
                row.add(byteRate(r.getReadBytesPerSecond()));
                row.add(byteRate(r.getWriteBytesPerSecond()));
            }
            rows.add(row.toArray(new String[0]));
        }
        boolean[] right = new boolean[head.size()];
        for (int i = withNamespace ? 2 : 1; i < right.length; i++) {
            right[i] = true;
        }
        Table.print(out, rows, right);
    }

    /** Whole milliseconds, as Linkerd prints them; "-" without traffic. */
    private static String latency(StatRow r, double ms) {
        return r.getHasTraffic() && !Double.isNaN(ms) ? Math.round(ms) + "ms" : "-";
    }

    /** One decimal and B/s, as Linkerd prints byte rates. */
    private static String byteRate(double bytesPerSecond) {
        return String.format(Locale.ROOT, "%.1fB/s", bytesPerSecond);
    }

    private static void putIfNumber(Map<String, Object> m, String key, double value) {
        if (!Double.isNaN(value) && !Double.isInfinite(value)) {
            m.put(key, value);
        }
    }

    private static List<Map<String, Object>> json(StatResponse response) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (StatRow r : response.getRowsList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("namespace", r.getNamespace());
            m.put("name", r.getName());
            m.put("meshed", r.getMeshedPods() + "/" + r.getPods());
            if (r.getHasTraffic()) {
                m.put("success", r.getSuccessRate());
                m.put("rps", r.getRequestsPerSecond());
                // No latency (only resets, or only protocol switches): left out; JSON has no NaN.
                putIfNumber(m, "latency_ms_p50", r.getLatencyP50Ms());
                putIfNumber(m, "latency_ms_p95", r.getLatencyP95Ms());
                putIfNumber(m, "latency_ms_p99", r.getLatencyP99Ms());
            }
            m.put("tcp_conn", r.getTcpConnections());
            // Linkerd's names for the byte rates in its stat -o json.
            putIfNumber(m, "tcp_read_bytes_rate", r.getReadBytesPerSecond());
            putIfNumber(m, "tcp_write_bytes_rate", r.getWriteBytesPerSecond());
            m.put("window_seconds", r.getWindow().getSeconds());
            out.add(m);
        }
        return out;
    }
}
