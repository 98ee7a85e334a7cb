package io.meshj.controller.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.meshj.api.metrics.v1.StatRequest;
import io.meshj.api.metrics.v1.StatResponse;
import io.meshj.api.metrics.v1.StatRow;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * {@code meshj stat --prometheus URL}: the traffic columns of stat from a Prometheus server's HTTP API
 * ({@code /api/v1/query}) instead of the controller's own scrapes, as Linkerd viz's metrics API takes
 * them. The rows themselves (which resources exist, and the MESHED column) still come from the
 * controller, as Linkerd takes them from the Kubernetes API: Prometheus only knows pods that sent
 * traffic, and nothing of unmeshed ones.
 *
 * <p>The queries are Linkerd viz's, over the proxies' inbound series, with {@code W} the window and
 * {@code G} the grouping labels ({@code namespace} plus the resource type's label):
 * <pre>
 * sum(increase(response_total{direction="inbound",SEL}[W])) by (G, classification)
 * histogram_quantile(Q, sum(irate(response_latency_ms_bucket{direction="inbound",SEL}[W])) by (le, G))   Q = 0.5, 0.95, 0.99
 * sum(tcp_open_connections{direction="inbound",peer="src",SEL}) by (G)
 * </pre>
 * Success rate = success / (success + failure); RPS = all responses / W seconds.
 * {@code peer="src"} keeps the connections clients opened to the pod, not those its proxy opened to
 * the application (the controller's scrapes leave those out too).
 *
 * <p>The grouping labels are <em>target</em> labels: the scrape configuration must attach them to
 * every proxy's admin {@code /metrics} target — {@code namespace}, {@code pod}, {@code deployment}, and
 * {@code service} for {@code stat svc}, with the values the controller uses (in local mode the
 * workload's namespace, name, "deployment" label or else its service, and service), as static target
 * labels; on Kubernetes by relabeling pod metadata as Linkerd's Prometheus does
 * ({@code __meta_kubernetes_namespace} → namespace, {@code __meta_kubernetes_pod_name} → pod,
 * {@code __meta_kubernetes_pod_label_meshj_io_proxy_deployment} → deployment).
 */
final class PrometheusStats {

    /** A Prometheus that cannot be asked or answers with an error: a user error, exit 1 (see {@link Main}). */
    static final class PrometheusException extends RuntimeException {
        PrometheusException(String message) {
            super(message);
        }
    }

    /** How long one query may take; a stat must not hang on a stuck server. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final String url;
    private final URI query;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusStats(String url, URI query) {
        this.url = url;
        this.query = query;
    }

    /** Checks {@code --prometheus}'s value: an http(s) URL with a host, optionally with a path prefix. */
    static PrometheusStats of(CommandLine cli, String url) {
        URI base;
        try {
            base = new URI(url);
        } catch (URISyntaxException e) {
            throw new ParameterException(cli, "--prometheus " + url + ": not a URL (" + e.getReason() + ")");
        }
        if (!"http".equalsIgnoreCase(base.getScheme()) && !"https".equalsIgnoreCase(base.getScheme())
                || base.getHost() == null) {
            throw new ParameterException(cli, "--prometheus " + url + ": use http://HOST:PORT (e.g. http://127.0.0.1:9090)");
        }
        if (base.getQuery() != null || base.getFragment() != null) {
            throw new ParameterException(cli, "--prometheus " + url + ": no query or fragment, only the server's base URL");
        }
        // A Prometheus behind a path prefix (--web.route-prefix) keeps it: /prefix/api/v1/query.
        String path = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", "");
        return new PrometheusStats(url, base.resolve(path + "/api/v1/query"));
    }

    /**
     * The stat of {@code request}: Prometheus's numbers for the resources {@code controller} lists.
     * Prometheus is asked first, so that it is the one named when neither can be reached.
     */
    StatResponse stat(Function<StatRequest, StatResponse> controller, StatRequest request) {
        String label = label(request.getResourceType());
        Duration window = request.hasWindow()
                ? Duration.ofSeconds(request.getWindow().getSeconds(), request.getWindow().getNanos())
                : Duration.ofMinutes(1);
        String w = promDuration(window);
        String selector = selector(request, label, "");
        String group = label.equals("namespace") ? "namespace" : "namespace, " + label;

        Map<String, double[]> responses = new HashMap<>(); // key -> {successes, failures}
        for (Result r : query("sum(increase(response_total" + selector + "[" + w + "])) by (" + group + ", classification)", label)) {
            responses.computeIfAbsent(r.key, k -> new double[2])["failure".equals(r.classification) ? 1 : 0] += r.value;
        }
        Map<String, Double> p50 = latency("0.5", selector, w, group, label);
        Map<String, Double> p95 = latency("0.95", selector, w, group, label);
        Map<String, Double> p99 = latency("0.99", selector, w, group, label);
        Map<String, Double> tcp = new HashMap<>();
        String tcpSelector = selector(request, label, ",peer=\"src\"");
        for (Result r : query("sum(tcp_open_connections" + tcpSelector + ") by (" + group + ")", label)) {
            tcp.put(r.key, r.value);
        }

        // The controller's window must not exceed what it keeps; it only lists resources here.
        StatResponse listed = controller.apply(request.toBuilder().clearWindow().build());
        StatResponse.Builder out = StatResponse.newBuilder();
        com.google.protobuf.Duration span = com.google.protobuf.Duration.newBuilder()
                .setSeconds(window.getSeconds()).setNanos(window.getNano()).build();
        for (StatRow row : listed.getRowsList()) {
            String key = row.getNamespace() + "/" + row.getName();
            double[] counts = responses.getOrDefault(key, new double[2]);
            double total = counts[0] + counts[1];
            StatRow.Builder b = row.toBuilder().clearSuccessRate().clearRequestsPerSecond().clearLatencyP50Ms()
                    .clearLatencyP95Ms().clearLatencyP99Ms()
                    .setTcpConnections(Math.round(tcp.getOrDefault(key, 0.0)))
                    .setWindow(span)
                    .setHasTraffic(total > 0);
            if (total > 0) {
                b.setSuccessRate(counts[0] / total).setRequestsPerSecond(total / (window.toNanos() / 1e9))
                        .setLatencyP50Ms(p50.getOrDefault(key, Double.NaN))
                        .setLatencyP95Ms(p95.getOrDefault(key, Double.NaN))
                        .setLatencyP99Ms(p99.getOrDefault(key, Double.NaN));
            }
            out.addRows(b);
        }
        return out.build();
    }

    private Map<String, Double> latency(String q, String selector, String w, String group, String label) {
        Map<String, Double> out = new HashMap<>();
        for (Result r : query("histogram_quantile(" + q + ", sum(irate(response_latency_ms_bucket" + selector + "[" + w
                + "])) by (le, " + group + "))", label)) {
            out.put(r.key, r.value);
        }
        return out;
    }

    /** The target label a resource type groups by (kubectl's short and long forms, as the controller takes them). */
    static String label(String type) {
        return switch (type.toLowerCase(Locale.ROOT)) {
            case "po", "pod", "pods" -> "pod";
            case "deploy", "deployment", "deployments" -> "deployment";
            case "svc", "service", "services" -> "service";
            case "ns", "namespace", "namespaces" -> "namespace";
            default -> throw new IllegalArgumentException("unknown resource type \"" + type + "\": use pod, deploy, svc or ns");
        };
    }

    /**
     * {@code {direction="inbound"<more>,namespace="…",<label>="…"}}: the asked namespace and name, if
     * any; {@code more} is further matchers of our own, each with a leading comma.
     */
    static String selector(StatRequest request, String label, String more) {
        StringBuilder s = new StringBuilder("{direction=\"inbound\"").append(more);
        if (!request.getNamespace().isEmpty()) {
            s.append(",namespace=\"").append(escape(request.getNamespace())).append('"');
        }
        if (!request.getResourceName().isEmpty()) {
            s.append(',').append(label).append("=\"").append(escape(request.getResourceName())).append('"');
        }
        return s.append('}').toString();
    }

    /** A PromQL duration: whole seconds when it is some, else milliseconds (PromQL has no fractions). */
    static String promDuration(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : Math.max(1, d.toMillis()) + "ms";
    }

    /** A PromQL double-quoted string's content (the syntax is Go's). */
    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** One series of an instant vector: the row it belongs to ("namespace/name"), and its value. */
    private record Result(String key, String classification, double value) {
    }

    private java.util.List<Result> query(String promql, String label) {
        URI uri = URI.create(query + "?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Accept", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            throw new PrometheusException("Prometheus at " + url + " did not answer within " + TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            throw new PrometheusException("cannot reach Prometheus at " + url + ": " + reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PrometheusException("interrupted while asking Prometheus at " + url);
        }
        JsonObject body;
        try {
            JsonElement e = JsonParser.parseString(response.body());
            body = e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (JsonParseException e) {
            body = null;
        }
        if (body == null || !body.has("status") || !body.get("status").isJsonPrimitive()) {
            throw new PrometheusException(url + " is not a Prometheus server: " + uri.getPath() + " answered HTTP "
                    + response.statusCode() + " without Prometheus's JSON");
        }
        if (!"success".equals(body.get("status").getAsString())) {
            // Prometheus's own words, e.g. "bad_data: 1:20: parse error: ..." or a timeout.
            String type = body.has("errorType") ? text(body.get("errorType")) + ": " : "";
            String error = body.has("error") ? text(body.get("error")) : "HTTP " + response.statusCode();
            throw new PrometheusException("Prometheus at " + url + " rejected the query " + promql + ": " + type + error);
        }
        try {
            return results(body.getAsJsonObject("data"), label);
        } catch (RuntimeException e) { // ClassCastException, IllegalStateException, NullPointerException, NumberFormatException
            throw new PrometheusException("Prometheus at " + url + " answered " + promql + " with no instant vector ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    /** The series of a successful answer's {@code data}; any surprise in its shape throws. */
    private static java.util.List<Result> results(JsonObject data, String label) {
        if (!"vector".equals(data.get("resultType").getAsString())) {
            throw new IllegalStateException("resultType " + data.get("resultType"));
        }
        java.util.List<Result> out = new java.util.ArrayList<>();
        for (JsonElement e : data.getAsJsonArray("result")) {
            JsonObject metric = e.getAsJsonObject().getAsJsonObject("metric");
            JsonArray value = e.getAsJsonObject().getAsJsonArray("value");
            String namespace = string(metric, "namespace");
            String name = string(metric, label);
            if (name.isEmpty()) {
                continue; // a target without the grouping label cannot be matched to a resource
            }
            // Rows of namespaces have no namespace of their own, as the controller's.
            String key = label.equals("namespace") ? "/" + namespace : namespace + "/" + name;
            out.add(new Result(key, string(metric, "classification"), number(value.get(1).getAsString())));
        }
        return out;
    }

    /** A string as itself, anything else as JSON: an error message must not fail on its own shape. */
    private static String text(JsonElement e) {
        return e.isJsonPrimitive() ? e.getAsString() : e.toString();
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? "" : e.getAsString();
    }

    /** Prometheus writes sample values as strings, with Go's spellings of the special values. */
    private static double number(String s) {
        return switch (s) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(s);
        };
    }

    /** The innermost message of an I/O failure; the JDK's HTTP client often has none at the top. */
    private static String reason(Throwable e) {
        String reason = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException) {
                reason = "unknown host";
            } else if (t instanceof java.net.ConnectException && t.getMessage() == null) {
                reason = "connection refused or unreachable";
            } else if (t.getMessage() != null && !t.getMessage().isBlank()) {
                reason = t.getMessage();
            }
        }
        return reason != null ? reason : e.getClass().getSimpleName();
    }
}
