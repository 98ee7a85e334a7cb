package io.meshj.controller.metrics;

import static java.util.Objects.requireNonNull;

import io.meshj.core.time.Ticker;
import io.meshj.metrics.PrometheusText;
import io.meshj.metrics.Sample;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Scrapes the admin {@code /metrics} of every proxy the controller knows, every interval, and keeps
 * each one's scrapes for the window (plus one interval, so a full window always has a start). A proxy
 * that does not answer keeps its older scrapes; one that is no longer known is forgotten.
 */
public final class MetricsScraper implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MetricsScraper.class.getName());

    /**
     * A pod, and what it stands for; {@code metricsUrl} is its proxy's admin /metrics, or null for a
     * pod without a proxy (counted by stat's MESHED column, never scraped); {@code identity} is its
     * proxy's TLS identity when the backend knows it (edges' CLIENT_ID), else null.
     */
    public record Target(String namespace, String pod, String service, String deployment, String metricsUrl,
            String identity) {

        public Target(String namespace, String pod, String service, String deployment, String metricsUrl) {
            this(namespace, pod, service, deployment, metricsUrl, null);
        }

        public boolean meshed() {
            return metricsUrl != null;
        }
    }

    /** One scrape of one proxy: when (ticker nanos) and what it said. */
    public record Scrape(long nanos, List<Sample> samples) {
    }

    /** The series stat, edges and routes read; the rest of a scrape (JVM, identity, ...) is not kept. */
    private static final java.util.Set<String> KEPT = java.util.Set.of("response_total", "response_latency_ms_bucket",
            "tcp_open_connections", "tcp_open_total", "tcp_read_bytes_total", "tcp_write_bytes_total",
            "route_response_total", "route_response_latency_ms_bucket", "route_actual_response_total");

    /**
     * A pod's traffic as a server, what a plain stat reads: its inbound requests, and the connections clients
     * opened to it (not those its proxy opened to the application, inbound too, with peer="dst").
     */
    public static final java.util.function.Predicate<Sample> SERVER_SIDE = s -> "inbound".equals(s.label("direction"))
            && !"dst".equals(s.label("peer"));

    /**
     * A pod's traffic as a client: the requests its proxy forwarded out and the connections it opened to
     * their destinations (peer="dst"), which carry the destination's dst_* labels (stat --to/--from, edges).
     */
    public static final java.util.function.Predicate<Sample> CLIENT_SIDE = s -> "outbound".equals(s.label("direction"))
            && !"src".equals(s.label("peer"));

    /** The largest /metrics body read from one proxy. */
    static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

    private final Supplier<Collection<Target>> targets;
    private final Duration interval;
    private final Duration window;
    private final Ticker ticker;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<Target, Deque<Scrape>> history = new ConcurrentHashMap<>();
    private ScheduledFuture<?> task;

    public MetricsScraper(Supplier<Collection<Target>> targets, Duration interval, Duration window, Ticker ticker) {
        this.targets = requireNonNull(targets, "targets");
        this.interval = requireNonNull(interval, "interval");
        this.window = requireNonNull(window, "window");
        this.ticker = requireNonNull(ticker, "ticker");
    }

    public Duration interval() {
        return interval;
    }

    public Duration window() {
        return window;
    }

    /** Now, on the clock scrapes are stamped with. */
    public long nowNanos() {
        return ticker.nanoTime();
    }

    /** Scrapes every interval on {@code executor}, the first time now. */
    public void start(ScheduledExecutorService executor) {
        task = executor.scheduleWithFixedDelay(() -> {
            try {
                scrapeOnce().get(interval.toMillis() + 5_000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "scrape round: {0}", e.toString());
            }
        }, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** One round: every known proxy, concurrently; completes when all have answered or failed. */
    public CompletableFuture<Void> scrapeOnce() {
        Collection<Target> now = targets.get();
        history.keySet().retainAll(new java.util.HashSet<>(now)); // a set: thousands of pods, every round
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (Target t : now) {
            if (!t.meshed()) {
                continue;
            }
            HttpRequest request = HttpRequest.newBuilder(URI.create(t.metricsUrl())).timeout(Duration.ofSeconds(5)).build();
            calls.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream()).thenAccept(r -> {
                String body;
                try (java.io.InputStream in = r.body()) {
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException(t.metricsUrl() + " answered " + r.statusCode());
                    }
                    // A pod claims its /metrics; its size must not be able to exhaust the controller.
                    byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
                    if (bytes.length > MAX_BODY_BYTES) {
                        throw new IllegalStateException(t.metricsUrl() + " serves more than " + MAX_BODY_BYTES + " bytes");
                    }
                    body = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                List<Sample> kept = new ArrayList<>();
                for (Sample s : PrometheusText.parse(body)) {
                    // Only what stat and edges read: the pod's traffic as a server and as a client.
                    if (KEPT.contains(s.name()) && (SERVER_SIDE.test(s) || CLIENT_SIDE.test(s))) {
                        kept.add(s);
                    }
                }
                record(t, new Scrape(ticker.nanoTime(), kept));
            }).exceptionally(e -> {
                LOG.log(System.Logger.Level.DEBUG, "cannot scrape {0}: {1}", t.metricsUrl(), e.toString());
                return null;
            }));
        }
        return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]));
    }

    /** Keeps {@code s} as {@code t}'s latest scrape (package-private: tests hand-build scrapes). */
    void record(Target t, Scrape s) {
        Deque<Scrape> d = history.computeIfAbsent(t, k -> new ArrayDeque<>());
        synchronized (d) {
            d.addLast(s);
            long keep = window.plus(interval).toNanos();
            while (d.size() > 2 && s.nanos() - d.peekFirst().nanos() > keep) {
                d.removeFirst();
            }
        }
    }

    /** The proxies known now, with their scrapes, oldest first. */
    public Map<Target, List<Scrape>> history() {
        Map<Target, List<Scrape>> out = new java.util.HashMap<>();
        for (Target t : targets.get()) {
            Deque<Scrape> d = history.get(t);
            List<Scrape> copy;
            if (d == null) {
                copy = List.of();
            } else {
                synchronized (d) {
                    copy = List.copyOf(d);
                }
            }
            out.put(t, copy);
        }
        return out;
    }

    @Override
    public void close() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
