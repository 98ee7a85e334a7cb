package io.meshj.controller.cli;

import io.meshj.api.tap.v1.Peer;
import io.meshj.api.tap.v1.TapEvent;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code meshj top}'s table: tap events folded into one row per (source, destination, method, path)
 * with the count of ended requests, the best, worst and last response latency, and the success rate
 * (a response is a failure when its status is 5xx, its gRPC status is not OK, or it was reset), as
 * Linkerd's top shows them. Not thread-safe: one reader feeds and prints it.
 */
final class TopTable {

    /** Requests whose end was never seen (lost events) are forgotten past this many. */
    private static final int MAX_PENDING = 10_000;

    private record Key(String source, String destination, String method, String path) {
    }

    private static final class Pending {
        final Key key;
        long latencyMicros = -1;
        boolean failed;

        Pending(Key key) {
            this.key = key;
        }
    }

    private static final class Row {
        long count;
        long successes;
        long best = Long.MAX_VALUE;
        long worst;
        long last;
    }

    private final Map<String, Pending> pending = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Pending> eldest) {
            return size() > MAX_PENDING;
        }
    };
    private final Map<Key, Row> rows = new HashMap<>();

    void add(TapEvent e) {
        String id = e.getObserver() + "/" + e.getId();
        switch (e.getEventCase()) {
            case REQUEST_INIT -> pending.put(id, new Pending(new Key(name(e.getSource()), name(e.getDestination()),
                    e.getRequestInit().getMethod(), e.getRequestInit().getPath())));
            case RESPONSE_INIT -> {
                Pending p = pending.get(id);
                if (p != null) {
                    p.latencyMicros = TapLines.micros(e.getResponseInit().getSinceRequestInit());
                    p.failed = e.getResponseInit().getHttpStatus() >= 500;
                }
            }
            case RESPONSE_END -> {
                Pending p = pending.remove(id);
                if (p == null) {
                    return;
                }
                var end = e.getResponseEnd();
                boolean failed = p.failed || end.hasResetError() || (end.hasGrpcStatus() && end.getGrpcStatus() != 0);
                long latency = p.latencyMicros >= 0 ? p.latencyMicros : TapLines.micros(end.getSinceResponseInit());
                Row r = rows.computeIfAbsent(p.key, k -> new Row());
                r.count++;
                r.successes += failed ? 0 : 1;
                r.best = Math.min(r.best, latency);
                r.worst = Math.max(r.worst, latency);
                r.last = latency;
            }
            default -> { }
        }
    }

    /** Rows by count, most first; nothing but the header when no request ended yet. */
    void print(PrintWriter out) {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"Source", "Destination", "Method", "Path", "Count", "Best", "Worst", "Last", "Success Rate"});
        rows.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<Key, Row> x) -> -x.getValue().count)
                        .thenComparing(x -> x.getKey().path()).thenComparing(x -> x.getKey().source()))
                .forEach(x -> {
                    Key k = x.getKey();
                    Row r = x.getValue();
                    lines.add(new String[] {k.source(), k.destination(), k.method(), k.path(), Long.toString(r.count),
                            latency(r.best), latency(r.worst), latency(r.last),
                            String.format(Locale.ROOT, "%.2f%%", 100.0 * r.successes / r.count)});
                });
        boolean[] right = {false, false, false, false, true, true, true, true, true};
        Table.print(out, lines, right);
    }

    /** A peer by its pod, else its deployment, else its address. */
    private static String name(Peer p) {
        String pod = p.getLabelsMap().get("pod");
        if (pod != null) {
            return pod;
        }
        String deployment = p.getLabelsMap().get("deployment");
        return deployment != null ? deployment : TapLines.address(p);
    }

    static String latency(long micros) {
        if (micros < 1_000) {
            return micros + "µs";
        }
        if (micros < 1_000_000) {
            return Math.round(micros / 1_000.0) + "ms";
        }
        return String.format(Locale.ROOT, "%.1fs", micros / 1e6);
    }
}
