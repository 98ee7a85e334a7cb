package io.meshj.controller.metrics;

import io.meshj.api.metrics.v1.RouteRow;
import io.meshj.api.metrics.v1.RoutesResponse;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.metrics.Sample;
import io.meshj.metrics.Stats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The rows of {@code meshj routes}, Linkerd's {@code viz routes} without Prometheus: for each service
 * of the asked resource that has a profile, each declared route and then {@code [DEFAULT]}, summarized
 * from the proxies' {@code route_*} series between the scrape nearest the window's start and the latest
 * one (the same math as stat, {@link Stats}); the actual success rate and RPS (every attempt, retries
 * included) from {@code route_actual_response_total} the same way.
 *
 * <p>Whose series: without {@code to}, the resource's own pods' inbound series, whose {@code dst} is
 * their service (what it served); with {@code to}, the resource's pods' outbound series whose
 * {@code dst} is a service of the {@code to} resource (what it sent there) — as Linkerd reads
 * {@code route_*} of the server's proxies, or with {@code --to} of the client's.
 */
final class RouteTable {

    /** The route name of requests no declared route matched (series without rt_route). */
    static final String DEFAULT = ServiceProfile.DEFAULT_ROUTE_NAME;

    private RouteTable() {
    }

    /** One service whose routes are shown: namespace, short name, and its fully qualified name. */
    record Service(String namespace, String name, String fqdn) implements Comparable<Service> {
        @Override
        public int compareTo(Service o) {
            int c = namespace.compareTo(o.namespace);
            return c != 0 ? c : name.compareTo(o.name);
        }
    }

    /**
     * @param sources the pods whose proxies' series are read, with their scrapes
     * @param services the services whose routes are asked
     * @param inbound the direction of the series read (inbound: served; else sent)
     * @param profiles the profile of a fully qualified service name (empty when it has none)
     */
    static RoutesResponse rows(List<Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>>> sources,
            TreeSet<Service> services, boolean inbound, Function<String, ServiceProfile> profiles, long windowNanos,
            long nowNanos, long staleNanos) {
        List<Sample> before = new ArrayList<>();
        List<Sample> after = new ArrayList<>();
        List<Sample> actualBefore = new ArrayList<>();
        List<Sample> actualAfter = new ArrayList<>();
        double[] spanNanos = {0};
        Map<String, Double> seconds = new HashMap<>(); // each pod's span, for its own rate
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
            String pod = m.getKey().namespace() + "/" + m.getKey().pod();
            long span = last.nanos() - first.nanos();
            spanNanos[0] = Math.max(spanNanos[0], span);
            seconds.put(pod, span / 1e9);
            asStatSeries(first.samples(), pod, inbound, before, actualBefore);
            asStatSeries(last.samples(), pod, inbound, after, actualAfter);
        }
        RoutesResponse.Builder out = RoutesResponse.newBuilder();
        for (Service svc : services) {
            out.addServices(svc.namespace() + "/" + svc.name());
            ServiceProfile profile = profiles.apply(svc.fqdn());
            if (profile == null || profile.routes().isEmpty()) {
                continue;
            }
            out.addServicesWithProfile(svc.namespace() + "/" + svc.name());
            Predicate<Sample> toService = s -> svc.fqdn().equals(host(s.label("dst")));
            for (Route r : profile.routes()) {
                Predicate<Sample> ofRoute = toService.and(s -> r.name().equals(s.label("rt_route")));
                out.addRows(row(r.name(), svc, before, after, seconds, ofRoute).mergeFrom(actual(actualBefore, actualAfter,
                        seconds, ofRoute)).build());
            }
            Predicate<Sample> unmatched = toService.and(s -> s.label("rt_route") == null);
            out.addRows(row(DEFAULT, svc, before, after, seconds, unmatched).mergeFrom(actual(actualBefore, actualAfter,
                    seconds, unmatched)).build());
        }
        return out.build();
    }

    private static RouteRow.Builder row(String route, Service svc, List<Sample> before, List<Sample> after,
            Map<String, Double> seconds, Predicate<Sample> filter) {
        RouteRow.Builder r = RouteRow.newBuilder().setRoute(route).setService(svc.name()).setAuthority(svc.fqdn());
        double rps = rps(before, after, seconds, filter);
        Stats.Summary s = Stats.summarize(before, after, 1, filter);
        boolean hasTraffic = s.successes() + s.failures() > 0;
        r.setHasTraffic(hasTraffic);
        if (hasTraffic) {
            r.setSuccessRate(s.successRate()).setRequestsPerSecond(rps)
                    .setLatencyP50Ms(s.p50()).setLatencyP95Ms(s.p95()).setLatencyP99Ms(s.p99());
        }
        return r;
    }

    /** The actual columns of a row: every attempt's outcome (a row with only these fields set). */
    private static RouteRow actual(List<Sample> before, List<Sample> after, Map<String, Double> seconds, Predicate<Sample> filter) {
        Stats.Summary s = Stats.summarize(before, after, 1, filter);
        RouteRow.Builder r = RouteRow.newBuilder();
        if (s.successes() + s.failures() > 0) {
            r.setHasActualTraffic(true).setActualSuccessRate(s.successRate())
                    .setActualRequestsPerSecond(rps(before, after, seconds, filter));
        }
        return r.build();
    }

    /** Each pod's rate over its own span, summed (pods are scraped at different times), as stat does. */
    private static double rps(List<Sample> before, List<Sample> after, Map<String, Double> seconds, Predicate<Sample> filter) {
        double rps = 0;
        for (Map.Entry<String, Double> pod : seconds.entrySet()) {
            Predicate<Sample> ofPod = s -> pod.getKey().equals(s.label("__pod"));
            rps += Stats.summarize(before, after, pod.getValue(), filter.and(ofPod)).rps();
        }
        return rps;
    }

    /**
     * The route series of one direction, renamed to the series {@link Stats} reads
     * ({@code route_response_total} as {@code response_total}, ...) and tagged with their pod, so that
     * the same series of two proxies stay two series; {@code route_actual_response_total} goes to
     * {@code actual} as {@code response_total}.
     */
    private static void asStatSeries(List<Sample> samples, String pod, boolean inbound, List<Sample> into, List<Sample> actual) {
        String direction = inbound ? "inbound" : "outbound";
        for (Sample s : samples) {
            String name = switch (s.name()) {
                case "route_response_total", "route_actual_response_total" -> "response_total";
                case "route_response_latency_ms_bucket" -> "response_latency_ms_bucket";
                default -> null;
            };
            if (name != null && direction.equals(s.label("direction"))) {
                Map<String, String> labels = new HashMap<>(s.labels());
                labels.put("__pod", pod);
                (s.name().equals("route_actual_response_total") ? actual : into).add(new Sample(name, labels, s.value()));
            }
        }
    }

    /** The host of an authority label ({@code web.default.svc.cluster.local:8080}), or null. */
    static String host(String authority) {
        if (authority == null) {
            return null;
        }
        int colon = authority.lastIndexOf(':');
        return colon < 0 || authority.endsWith("]") ? authority : authority.substring(0, colon);
    }
}
