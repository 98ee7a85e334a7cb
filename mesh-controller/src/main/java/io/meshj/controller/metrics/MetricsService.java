package io.meshj.controller.metrics;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Duration;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshj.api.metrics.v1.MetricsGrpc;
import io.meshj.api.metrics.v1.StatRequest;
import io.meshj.api.metrics.v1.StatResponse;
import io.meshj.api.metrics.v1.StatRow;
import io.meshj.metrics.Sample;
import io.meshj.metrics.Stats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * {@code Stat}: groups the scraped proxies by the asked resource (pod, deployment, service, namespace),
 * and for each group summarizes its inbound traffic between the scrape nearest the window's start and
 * the latest one of each proxy ({@link Stats}).
 */
public final class MetricsService extends MetricsGrpc.MetricsImplBase {

    private final MetricsScraper scraper;

    public MetricsService(MetricsScraper scraper) {
        this.scraper = requireNonNull(scraper, "scraper");
    }

    /** The resource types stat groups proxies by. */
    enum Grouping {
        POD(MetricsScraper.Target::pod),
        DEPLOYMENT(MetricsScraper.Target::deployment),
        SERVICE(MetricsScraper.Target::service),
        NAMESPACE(MetricsScraper.Target::namespace);

        final Function<MetricsScraper.Target, String> name;

        Grouping(Function<MetricsScraper.Target, String> name) {
            this.name = name;
        }

        /** The grouping a resource type names (kubectl's short and long forms), or null. */
        static Grouping of(String type) {
            return switch (type.toLowerCase(Locale.ROOT)) {
                case "po", "pod", "pods" -> POD;
                case "deploy", "deployment", "deployments" -> DEPLOYMENT;
                case "svc", "service", "services" -> SERVICE;
                case "ns", "namespace", "namespaces" -> NAMESPACE;
                default -> null;
            };
        }
    }

    @Override
    public void stat(StatRequest request, StreamObserver<StatResponse> responses) {
        Grouping grouping = Grouping.of(request.getResourceType());
        if (grouping == null) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("unknown resource type \"" + request.getResourceType()
                    + "\": use pod, deploy, svc or ns").asRuntimeException());
            return;
        }
        java.time.Duration asked = request.hasWindow()
                ? java.time.Duration.ofSeconds(request.getWindow().getSeconds(), request.getWindow().getNanos())
                : java.time.Duration.ofMinutes(1);
        if (asked.isNegative() || asked.isZero()) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("the window must be positive").asRuntimeException());
            return;
        }
        if (asked.compareTo(scraper.window()) > 0) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("the window may be at most "
                    + scraper.window().toSeconds() + " s: the controller keeps no more").asRuntimeException());
            return;
        }
        Map<String, List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>>> groups = new TreeMap<>();
        for (Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>> e : scraper.history().entrySet()) {
            MetricsScraper.Target t = e.getKey();
            if (!request.getNamespace().isEmpty() && !request.getNamespace().equals(t.namespace())) {
                continue;
            }
            String name = grouping.name.apply(t);
            if (name == null || !request.getResourceName().isEmpty() && !request.getResourceName().equals(name)) {
                continue;
            }
            groups.computeIfAbsent((grouping == Grouping.NAMESPACE ? "" : t.namespace()) + "/" + name,
                    k -> new ArrayList<>()).add(e);
        }
        StatResponse.Builder out = StatResponse.newBuilder();
        long now = scraper.nowNanos();
        long stale = 3 * scraper.interval().toNanos();
        groups.forEach((key, members) -> out.addRows(row(key, members, asked.toNanos(), now, stale)));
        responses.onNext(out.build());
        responses.onCompleted();
    }

    private static StatRow row(String key, List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>> members,
            long windowNanos, long nowNanos, long staleNanos) {
        List<Sample> before = new ArrayList<>();
        List<Sample> after = new ArrayList<>();
        long spanNanos = 0;
        double rps = 0; // each pod's own rate over its own span, summed: pods are scraped at different times
        for (Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>> m : members) {
            List<MetricsScraper.Scrape> scrapes = m.getValue();
            if (scrapes.size() < 2) {
                continue;
            }
            MetricsScraper.Scrape last = scrapes.get(scrapes.size() - 1);
            if (nowNanos - last.nanos() > staleNanos) {
                continue; // not answering any more: its last numbers are not its present
            }
            MetricsScraper.Scrape first = scrapes.get(0);
            for (MetricsScraper.Scrape s : scrapes) { // the latest scrape at or before the window's start
                if (last.nanos() - s.nanos() >= windowNanos) {
                    first = s;
                }
            }
            if (first == last) {
                continue;
            }
            long span = last.nanos() - first.nanos();
            spanNanos = Math.max(spanNanos, span);
            rps += Stats.summarize(first.samples(), last.samples(), span / 1e9, MetricsScraper.SERVER_SIDE).rps();
            // The same series of two proxies must stay two series: tag each with its pod.
            String pod = m.getKey().namespace() + "/" + m.getKey().pod();
            tag(first.samples(), pod, before);
            tag(last.samples(), pod, after);
        }
        Stats.Summary s = Stats.summarize(before, after, spanNanos / 1e9, MetricsScraper.SERVER_SIDE);
        int slash = key.indexOf('/');
        StatRow.Builder r = StatRow.newBuilder()
                .setNamespace(key.substring(0, slash))
                .setName(key.substring(slash + 1))
                .setMeshedPods((int) members.stream().filter(m -> m.getKey().meshed()).count())
                .setPods(members.size())
                .setTcpConnections((long) s.tcpConnections())
                .setWindow(Duration.newBuilder().setSeconds(spanNanos / 1_000_000_000L).setNanos((int) (spanNanos % 1_000_000_000L)));
        boolean traffic = s.successes() + s.failures() > 0;
        r.setHasTraffic(traffic);
        if (traffic) {
            r.setSuccessRate(s.successRate()).setRequestsPerSecond(rps)
                    .setLatencyP50Ms(s.p50()).setLatencyP95Ms(s.p95()).setLatencyP99Ms(s.p99());
        }
        return r.build();
    }

    private static void tag(List<Sample> samples, String pod, List<Sample> into) {
        for (Sample s : samples) {
            Map<String, String> labels = new HashMap<>(s.labels());
            labels.put("__pod", pod);
            into.add(new Sample(s.name(), labels, s.value()));
        }
    }
}
