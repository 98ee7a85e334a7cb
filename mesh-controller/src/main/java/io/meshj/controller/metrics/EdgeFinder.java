package io.meshj.controller.metrics;

import io.meshj.api.metrics.v1.Edge;
import io.meshj.metrics.Sample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The edges between resources (Linkerd's {@code viz edges}), from the latest scrape of every proxy.
 *
 * <p>Only a client's outbound series say both ends of an edge: the source is the scraped proxy's own
 * pod (grouped by the asked type), the destination is named by the series' dst_* labels ({@link
 * Grouping#destination}). An edge is there while its source's proxy still exports a {@code response_total}
 * or {@code tcp_open_total} series for it (a proxy drops series idle for a while), and it is secured when
 * every such series says {@code tls="true"} with the {@code server_id} the destination proved.
 *
 * <p>The client's identity is its own proxy's, when the backend knows it. Otherwise it is read off the
 * destination's inbound {@code client_id} labels, as Linkerd's edges does; unlike Linkerd, only when
 * exactly one of them is in the source's namespace, since inbound series do not say which pod sent them.
 */
final class EdgeFinder {

    private static final Set<String> EDGE_SERIES = Set.of("response_total", "tcp_open_total");

    private EdgeFinder() {
    }

    /** What the series of one edge said. */
    private static final class Seen {
        final Set<String> sourceNamespaces = new TreeSet<>();
        final Set<String> clientIds = new TreeSet<>();
        final Set<String> serverIds = new TreeSet<>();
        final Set<String> reasons = new TreeSet<>();
        boolean secured = true;
    }

    /**
     * The edges of {@code grouping}'s resources, sorted by source namespace, source, destination
     * namespace and destination; a proxy last scraped before {@code staleBeforeNanos} is left out.
     *
     * @param namespace empty, or the namespace that the source or the destination must be in
     * @param name empty, or the name that the source or the destination must have
     */
    static List<Edge> edges(Map<MetricsScraper.Target, List<MetricsScraper.Scrape>> history, Grouping grouping,
            String namespace, String name, long staleBeforeNanos) {
        Map<String, MetricsScraper.Target> pods = Grouping.index(history.keySet());
        Map<List<String>, Seen> edges = new TreeMap<>(EdgeFinder::compare);
        Map<List<String>, Set<String>> inboundClients = new HashMap<>();
        for (Map.Entry<MetricsScraper.Target, List<MetricsScraper.Scrape>> e : history.entrySet()) {
            MetricsScraper.Target t = e.getKey();
            List<MetricsScraper.Scrape> scrapes = e.getValue();
            String src = grouping.name(t);
            if (src == null || scrapes.isEmpty() || scrapes.get(scrapes.size() - 1).nanos() < staleBeforeNanos) {
                continue;
            }
            String srcNs = grouping.namespaceOf(t.namespace());
            for (Sample s : scrapes.get(scrapes.size() - 1).samples()) {
                if (!EDGE_SERIES.contains(s.name()) || s.value() <= 0) {
                    continue;
                }
                String clientId = s.label("client_id");
                if (MetricsScraper.SERVER_SIDE.test(s) && clientId != null) {
                    inboundClients.computeIfAbsent(List.of(srcNs, src), k -> new TreeSet<>()).add(clientId);
                    continue;
                }
                String dst = MetricsScraper.CLIENT_SIDE.test(s) ? grouping.destination(s, pods) : null;
                String dstNs = s.label("dst_namespace");
                if (dst == null || dstNs == null) {
                    continue; // not outbound, or to something discovery said nothing about
                }
                dstNs = grouping.namespaceOf(dstNs);
                if (!namespace.isEmpty() && !namespace.equals(t.namespace()) && !namespace.equals(s.label("dst_namespace"))
                        || !name.isEmpty() && !name.equals(src) && !name.equals(dst)) {
                    continue;
                }
                Seen seen = edges.computeIfAbsent(List.of(srcNs, src, dstNs, dst), k -> new Seen());
                seen.sourceNamespaces.add(t.namespace());
                if (t.identity() != null) {
                    seen.clientIds.add(t.identity());
                }
                String serverId = s.label("server_id");
                if ("true".equals(s.label("tls")) && serverId != null && !serverId.isEmpty()) {
                    seen.serverIds.add(serverId);
                } else {
                    seen.secured = false;
                    String reason = s.label("no_tls_reason");
                    seen.reasons.add(reason != null ? reason : "tls=" + s.label("tls"));
                }
            }
        }
        List<Edge> out = new ArrayList<>();
        edges.forEach((key, seen) -> {
            Set<String> clientIds = seen.clientIds;
            if (clientIds.isEmpty()) {
                clientIds = new TreeSet<>();
                for (String id : inboundClients.getOrDefault(List.of(key.get(2), key.get(3)), Set.of())) {
                    String[] parts = id.split("\\.");
                    if (parts.length > 1 && seen.sourceNamespaces.contains(parts[1])) {
                        clientIds.add(id);
                    }
                }
                if (clientIds.size() > 1) {
                    clientIds = Set.of(); // more than one client of that namespace: cannot tell which
                }
            }
            out.add(Edge.newBuilder().setSrcNamespace(key.get(0)).setSrc(key.get(1))
                    .setDstNamespace(key.get(2)).setDst(key.get(3))
                    .setSecured(seen.secured)
                    .setClientId(String.join(",", clientIds))
                    .setServerId(String.join(",", seen.serverIds))
                    .setNoTlsReason(seen.secured ? "" : String.join(",", seen.reasons))
                    .build());
        });
        return out;
    }

    private static int compare(List<String> a, List<String> b) {
        for (int i = 0; i < a.size(); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }
}
