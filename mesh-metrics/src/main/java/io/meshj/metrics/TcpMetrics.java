package io.meshj.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Linkerd's TCP series, per connection: {@code tcp_open_total}, {@code tcp_close_total} (with
 * {@code classification} and, for failures, {@code errno}), {@code tcp_open_connections},
 * {@code tcp_read_bytes_total} and {@code tcp_write_bytes_total}, labelled by {@code direction},
 * {@code peer} ({@code src}: a connection accepted; {@code dst}: one the proxy made), the TLS status,
 * and for {@code dst} the {@code target_addr} and destination labels.
 */
public final class TcpMetrics {

    private final MeterRegistry registry;
    private final io.meshj.core.time.Ticker ticker;
    private final BoundedValues targets;
    private final Map<Key, Meters> meters = new ConcurrentHashMap<>();

    TcpMetrics(MeterRegistry registry, int labelValueLimit, io.meshj.core.time.Ticker ticker) {
        this.registry = registry;
        this.ticker = ticker;
        this.targets = new BoundedValues(labelValueLimit);
    }

    private record Key(String direction, String peer, TlsStatus tls, String targetAddr, Map<String, String> dst) {
    }

    /** A connection accepted by a listener ({@code peer="src"}). */
    public Connection accepted(String direction, TlsStatus tls) {
        return open(new Key(direction, "src", tls, null, Map.of()));
    }

    /** A connection the proxy made to {@code targetAddr} ({@code peer="dst"}). */
    public Connection connected(String direction, TlsStatus tls, String targetAddr, Map<String, String> dst) {
        return open(new Key(direction, "dst", tls, targetAddr, dst == null ? Map.of() : dst));
    }

    private Connection open(Key key) {
        Meters m = meters.get(key);
        if (m == null) {
            m = meters.computeIfAbsent(key, this::register);
        }
        m.opened.increment();
        m.open.incrementAndGet();
        m.lastUsed = ticker.nanoTime();
        return new Connection(m);
    }

    /**
     * Drops the series of label sets with no open connection and no activity for {@code idleNanos}
     * (see {@link HttpMetrics#expire}).
     */
    void expire(long idleNanos) {
        long now = ticker.nanoTime();
        meters.values().removeIf(m -> {
            if (m.open.get() > 0 || now - m.lastUsed <= idleNanos) {
                return false;
            }
            registry.remove(m.openedGauge);
            registry.remove(m.opened);
            registry.remove(m.read);
            registry.remove(m.written);
            m.closes.values().forEach(registry::remove);
            return true;
        });
    }

    private Meters register(Key k) {
        List<Tag> t = new ArrayList<>();
        t.add(Tag.of("direction", k.direction));
        t.add(Tag.of("peer", k.peer));
        HttpMetrics.addTls(t, k.tls);
        if (k.targetAddr != null) {
            t.add(Tag.of("target_addr", targets.bound(k.targetAddr)));
        }
        k.dst.forEach((n, v) -> t.add(Tag.of("dst_" + n, v)));
        Tags tags = Tags.of(t);
        AtomicLong open = new AtomicLong();
        Gauge gauge = Gauge.builder("tcp_open_connections", open, AtomicLong::get).description("Number of currently-open connections.")
                .tags(tags).register(registry);
        return new Meters(tags, gauge,
                Counter.builder("tcp_open").description("Total count of opened connections.").tags(tags).register(registry),
                open,
                Counter.builder("tcp_read_bytes").description("Total count of bytes read from peers.").tags(tags).register(registry),
                Counter.builder("tcp_write_bytes").description("Total count of bytes written to peers.").tags(tags).register(registry),
                new ConcurrentHashMap<>());
    }

    private final class Meters {
        final Tags tags;
        final Gauge openedGauge;
        final Counter opened;
        final AtomicLong open;
        final Counter read;
        final Counter written;
        final Map<String, Counter> closes;
        volatile long lastUsed;

        Meters(Tags tags, Gauge openedGauge, Counter opened, AtomicLong open, Counter read, Counter written,
                Map<String, Counter> closes) {
            this.tags = tags;
            this.openedGauge = openedGauge;
            this.opened = opened;
            this.open = open;
            this.read = read;
            this.written = written;
            this.closes = closes;
        }

        long tickerNow() {
            return ticker.nanoTime();
        }

        Counter close(String errno) {
            String key = errno == null ? "" : errno;
            Counter c = closes.get(key);
            if (c == null) {
                c = closes.computeIfAbsent(key, e -> Counter.builder("tcp_close").description("Total count of closed connections.")
                        .tags(errno == null ? tags.and("classification", "success")
                                : tags.and("classification", "failure", "errno", errno))
                        .register(registry));
            }
            return c;
        }
    }

    /** One open connection's meters; {@link #closed} once. */
    public static final class Connection {
        private final Meters meters;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Connection(Meters meters) {
            this.meters = meters;
        }

        public void read(long bytes) {
            meters.read.increment(bytes);
        }

        public void wrote(long bytes) {
            meters.written.increment(bytes);
        }

        /** The connection closed; {@code errno} names the error that closed it (ECONNRESET, ...), or null. */
        public void closed(String errno) {
            if (closed.compareAndSet(false, true)) {
                meters.lastUsed = meters.tickerNow();
                meters.open.decrementAndGet();
                meters.close(errno).increment();
            }
        }
    }
}
