package io.meshj.controller.metrics;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Duration;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshj.api.metrics.v1.EdgesRequest;
import io.meshj.api.metrics.v1.EdgesResponse;
import io.meshj.api.metrics.v1.MetricsGrpc;
import io.meshj.api.metrics.v1.Resource;
import io.meshj.api.metrics.v1.StatRequest;
import io.meshj.api.metrics.v1.StatResponse;
import io.meshj.api.metrics.v1.StatRow;
import io.meshj.metrics.Sample;
import io.meshj.metrics.Stats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * {@code Stat}: groups the scraped proxies by the asked resource (pod, deployment, service, namespace),
 * and for each group summarizes its inbound traffic between the scrape nearest the window's start and
 * the latest one of each proxy ({@link Stats}). With {@code to} or {@code from} a row's numbers come
 * from outbound series instead, as Linkerd's {@code stat --to/--from} read them: a server's inbound
 * series do not say which client sent the traffic, a client's outbound ones name the destination.
 * {@code Edges}: see {@link EdgeFinder}.
 */
public final class MetricsService extends MetricsGrpc.MetricsImplBase {

    private final MetricsScraper scraper;
    private final java.util.function.Function<String, io.meshj.core.profile.ServiceProfile> profiles;
    private final String clusterDomain;

    /** A metrics API whose Routes finds no profiles. */
    public MetricsService(MetricsScraper scraper) {
        this(scraper, io.meshj.core.profile.ServiceProfile::empty, "cluster.local");
    }

    /**
     * @param profiles the current profile of a fully qualified service name (Routes lists its routes)
     * @param clusterDomain completes a service's name to the one profiles are named by
     */
    public MetricsService(MetricsScraper scraper, java.util.function.Function<String, io.meshj.core.profile.ServiceProfile> profiles,
            String clusterDomain) {
        this.scraper = requireNonNull(scraper, "scraper");
        this.profiles = requireNonNull(profiles, "profiles");
        this.clusterDomain = requireNonNull(clusterDomain, "clusterDomain");
    }

    private static final String TYPES = ": use pod, deploy, svc or ns";

    @Override
    public void stat(StatRequest request, StreamObserver<StatResponse> responses) {
        Grouping grouping = Grouping.of(request.getResourceType());
        if (grouping == null) {
            responses.onError(invalid("unknown resource type \"" + request.getResourceType() + "\"" + TYPES));
            return;
        }
        java.time.Duration asked = request.hasWindow()
                ? java.time.Duration.ofSeconds(request.getWindow().getSeconds(), request.getWindow().getNanos())
                : java.time.Duration.ofMinutes(1);
        if (asked.isNegative() || asked.isZero()) {
            responses.onError(invalid("the window must be positive"));
            return;
        }
        if (asked.compareTo(scraper.window()) > 0) {
            responses.onError(invalid("the window may be at most " + scraper.window().toSeconds()
                    + " s: the controller keeps no more"));
            return;
        }
        if (request.hasFrom() && request.hasTo()) {
            responses.onError(invalid("from and to cannot be used together"));
            return;
        }
        Resource peer = request.hasFrom() ? request.getFrom() : request.hasTo() ? request.getTo() : null;
        Grouping peerGrouping = peer == null ? null : Grouping.of(peer.getType());
        if (peer != null && peerGrouping == null) {
            responses.onError(invalid("unknown resource type \"" + peer.getType() + "\" in "
                    + (request.hasFrom() ? "from" : "to") + TYPES));
            return;
        }
        Map<MetricsScraper.Target, List<MetricsScraper.Scrape>> history = scraper.history();
        Map<String, MetricsScraper.Target> pods = Grouping.index(history.keySet());
        Map<String, List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>>> groups = new TreeMap<>();
        for (Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>> e : history.entrySet()) {
            MetricsScraper.Target t = e.getKey();
            if (!request.getNamespace().isEmpty() && !request.getNamespace().equals(t.namespace())) {
                continue;
            }
            String name = grouping.name(t);
            if (name == null || !request.getResourceName().isEmpty() && !request.getResourceName().equals(name)) {
                continue;
            }
            groups.computeIfAbsent(grouping.namespaceOf(t.namespace()) + "/" + name, k -> new ArrayList<>()).add(e);
        }
        // The peer's namespace defaults to the rows' one, as Linkerd's --to-namespace/--from-namespace do.
        String peerNamespace = peer == null ? "" : peer.getNamespace().isEmpty() ? request.getNamespace() : peer.getNamespace();
        StatResponse.Builder out = StatResponse.newBuilder();
        long now = scraper.nowNanos();
        long stale = 3 * scraper.interval().toNanos();
        groups.forEach((key, members) -> {
            int slash = key.indexOf('/');
            String ns = key.substring(0, slash);
            String name = key.substring(slash + 1);
            List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>> sources = members;
            Predicate<Sample> traffic = MetricsScraper.SERVER_SIDE;
            if (request.hasTo()) {
                // The row's pods as clients, of the named destination only.
                traffic = MetricsScraper.CLIENT_SIDE.and(goesTo(peerGrouping, peerNamespace, peer.getName(), pods));
            } else if (request.hasFrom()) {
                // The named source's pods as clients, of this row only.
                sources = new ArrayList<>();
                for (Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>> e : history.entrySet()) {
                    if (is(peerGrouping, peerNamespace, peer.getName(), e.getKey())) {
                        sources.add(e);
                    }
                }
                traffic = MetricsScraper.CLIENT_SIDE.and(goesTo(grouping, ns, name, pods));
            }
            // From or to a peer, a resource it never exchanged anything with is no row (as in edges).
            StatRow row = row(ns, name, members, sources, traffic, asked.toNanos(), now, stale, peer == null);
            if (row != null) {
                out.addRows(row);
            }
        });
        responses.onNext(out.build());
        responses.onCompleted();
    }

    @Override
    public void routes(io.meshj.api.metrics.v1.RoutesRequest request,
            StreamObserver<io.meshj.api.metrics.v1.RoutesResponse> responses) {
        Resource res = request.getResource();
        Grouping grouping = Grouping.of(res.getType());
        if (grouping == null) {
            responses.onError(invalid("unknown resource type \"" + res.getType() + "\"" + TYPES));
            return;
        }
        if (res.getName().isEmpty()) {
            responses.onError(invalid("routes needs a resource name (TYPE/NAME, e.g. deploy/web)"));
            return;
        }
        Grouping toGrouping = request.hasTo() ? Grouping.of(request.getTo().getType()) : null;
        if (request.hasTo() && toGrouping == null) {
            responses.onError(invalid("unknown resource type \"" + request.getTo().getType() + "\" in to" + TYPES));
            return;
        }
        java.time.Duration asked = request.hasWindow()
                ? java.time.Duration.ofSeconds(request.getWindow().getSeconds(), request.getWindow().getNanos())
                : java.time.Duration.ofMinutes(1);
        if (asked.isNegative() || asked.isZero() || asked.compareTo(scraper.window()) > 0) {
            responses.onError(invalid("the window must be positive and at most " + scraper.window().toSeconds()
                    + " s: the controller keeps no more"));
            return;
        }
        String ns = res.getNamespace().isEmpty() ? "default" : res.getNamespace();
        Map<MetricsScraper.Target, List<MetricsScraper.Scrape>> history = scraper.history();
        List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>> members = select(history, grouping, ns, res.getName());
        if (members.isEmpty()) {
            responses.onError(Status.NOT_FOUND.withDescription("no meshed pods of " + res.getType() + "/" + res.getName()
                    + " in namespace " + ns).asRuntimeException());
            return;
        }
        List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>> servers = members;
        if (request.hasTo()) {
            Resource to = request.getTo();
            String toNs = to.getNamespace().isEmpty() ? ns : to.getNamespace();
            servers = select(history, toGrouping, toNs, to.getName());
            if (servers.isEmpty()) {
                responses.onError(Status.NOT_FOUND.withDescription("no pods of " + to.getType() + "/" + to.getName()
                        + " in namespace " + toNs + " (--to)").asRuntimeException());
                return;
            }
        }
        java.util.TreeSet<RouteTable.Service> services = new java.util.TreeSet<>();
        for (Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>> e : servers) {
            MetricsScraper.Target t = e.getKey();
            if (t.service() != null && !t.service().isEmpty()) {
                services.add(new RouteTable.Service(t.namespace(), t.service(),
                        t.service() + "." + t.namespace() + ".svc." + clusterDomain));
            }
        }
        responses.onNext(RouteTable.rows(members, services, !request.hasTo(), profiles, asked.toNanos(),
                scraper.nowNanos(), 3 * scraper.interval().toNanos()));
        responses.onCompleted();
    }

    /** The pods (with their scrapes) of resource {@code name} of {@code g} in namespace {@code ns}. */
    private static List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>> select(
            Map<MetricsScraper.Target, List<MetricsScraper.Scrape>> history, Grouping g, String ns, String name) {
        List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>> out = new ArrayList<>();
        for (Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>> e : history.entrySet()) {
            MetricsScraper.Target t = e.getKey();
            if (name.equals(g.name(t)) && (g == Grouping.NAMESPACE || ns.equals(t.namespace()))) {
                out.add(e);
            }
        }
        out.sort(java.util.Comparator.comparing(e -> e.getKey().pod()));
        return out;
    }

    @Override
    public void edges(EdgesRequest request, StreamObserver<EdgesResponse> responses) {
        Grouping grouping = Grouping.of(request.getResourceType());
        if (grouping == null) {
            responses.onError(invalid("unknown resource type \"" + request.getResourceType() + "\"" + TYPES));
            return;
        }
        EdgesResponse answer = EdgesResponse.newBuilder().addAllEdges(EdgeFinder.edges(scraper.history(), grouping,
                request.getNamespace(), request.getResourceName(), scraper.nowNanos() - 3 * scraper.interval().toNanos()))
                .build();
        responses.onNext(answer);
        responses.onCompleted();
    }

    private static io.grpc.StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    /** Whether pod {@code t} belongs to the resource (an empty name or namespace: any). */
    private static boolean is(Grouping g, String namespace, String name, MetricsScraper.Target t) {
        String n = g.name(t);
        return n != null && (name.isEmpty() || name.equals(n))
                && (g == Grouping.NAMESPACE || namespace.isEmpty() || namespace.equals(t.namespace()));
    }

    /** Outbound series whose destination is the resource (an empty name or namespace: any). */
    private static Predicate<Sample> goesTo(Grouping g, String namespace, String name,
            Map<String, MetricsScraper.Target> pods) {
        return s -> {
            String dst = g.destination(s, pods);
            return dst != null && (name.isEmpty() || name.equals(dst))
                    && (g == Grouping.NAMESPACE || namespace.isEmpty() || namespace.equals(s.label("dst_namespace")));
        };
    }

    /**
     * The row of resource {@code ns/name} whose pods are {@code members}, with the numbers of the
     * {@code traffic} series of the {@code sources}' proxies; unless {@code always}, null when no source
     * has two scrapes in the window holding such a series.
     */
    private static StatRow row(String ns, String name, List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>> members,
            List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>> sources, Predicate<Sample> traffic,
            long windowNanos, long nowNanos, long staleNanos, boolean always) {
        List<Sample> before = new ArrayList<>();
        List<Sample> after = new ArrayList<>();
        long spanNanos = 0;
        double rps = 0; // each pod's own rate over its own span, summed: pods are scraped at different times
        double readBps = 0;
        double writeBps = 0;
        boolean seen = false;
        for (Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>> m : sources) {
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
            rps += Stats.summarize(first.samples(), last.samples(), span / 1e9, traffic).rps();
            readBps += Stats.increase(first.samples(), last.samples(), traffic.and(named("tcp_read_bytes_total"))) / (span / 1e9);
            writeBps += Stats.increase(first.samples(), last.samples(), traffic.and(named("tcp_write_bytes_total"))) / (span / 1e9);
            seen |= last.samples().stream().anyMatch(traffic);
            // The same series of two proxies must stay two series: tag each with its pod.
            String pod = m.getKey().namespace() + "/" + m.getKey().pod();
            tag(first.samples(), pod, before);
            tag(last.samples(), pod, after);
        }
        if (!seen && !always) {
            return null;
        }
        Stats.Summary s = Stats.summarize(before, after, spanNanos / 1e9, traffic);
        StatRow.Builder r = StatRow.newBuilder()
                .setNamespace(ns)
                .setName(name)
                .setMeshedPods((int) members.stream().filter(m -> m.getKey().meshed()).count())
                .setPods(members.size())
                .setTcpConnections((long) s.tcpConnections())
                .setReadBytesPerSecond(readBps)
                .setWriteBytesPerSecond(writeBps)
                .setWindow(Duration.newBuilder().setSeconds(spanNanos / 1_000_000_000L).setNanos((int) (spanNanos % 1_000_000_000L)));
        boolean hasTraffic = s.successes() + s.failures() > 0;
        r.setHasTraffic(hasTraffic);
        if (hasTraffic) {
            r.setSuccessRate(s.successRate()).setRequestsPerSecond(rps)
                    .setLatencyP50Ms(s.p50()).setLatencyP95Ms(s.p95()).setLatencyP99Ms(s.p99());
        }
        return r.build();
    }

    private static Predicate<Sample> named(String name) {
        return s -> name.equals(s.name());
    }

    private static void tag(List<Sample> samples, String pod, List<Sample> into) {
        for (Sample s : samples) {
            Map<String, String> labels = new HashMap<>(s.labels());
            labels.put("__pod", pod);
            into.add(new Sample(s.name(), labels, s.value()));
        }
    }
}
