package io.meshj.proxy.internal;

import io.meshj.proxy.internal.http.Direction;
import io.meshj.proxy.internal.http.ProxyError;
import io.meshj.tls.WorkloadCertifier;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The proxy's few counters until the observability work brings Micrometer and Linkerd's full set:
 * requests and TCP connections per direction (Linkerd's names), and the proxy's own error answers by
 * reason. Lock-free; {@link #scrape()} writes Prometheus text format 0.0.4.
 */
public final class ProxyMetrics {

    private final Map<Direction, LongAdder> requests = new EnumMap<>(Direction.class);
    private final Map<Direction, LongAdder> tcpOpened = new EnumMap<>(Direction.class);
    private final Map<Direction, LongAdder> tcpClosed = new EnumMap<>(Direction.class);
    private final Map<Direction, Map<ProxyError, LongAdder>> errors = new EnumMap<>(Direction.class);
    private volatile WorkloadCertifier certifier;

    public ProxyMetrics() {
        for (Direction d : Direction.values()) {
            requests.put(d, new LongAdder());
            tcpOpened.put(d, new LongAdder());
            tcpClosed.put(d, new LongAdder());
            Map<ProxyError, LongAdder> byKind = new EnumMap<>(ProxyError.class);
            for (ProxyError e : ProxyError.values()) {
                byKind.put(e, new LongAdder());
            }
            errors.put(d, byKind);
        }
    }

    /** Reports the certificates of {@code certifier} from now on (Linkerd's identity_cert_* metrics). */
    public void identity(WorkloadCertifier certifier) {
        this.certifier = certifier;
    }

    public void request(Direction d) {
        requests.get(d).increment();
    }

    public void error(Direction d, ProxyError e) {
        errors.get(d).get(e).increment();
    }

    public void tcpOpen(Direction d) {
        tcpOpened.get(d).increment();
    }

    public void tcpClose(Direction d) {
        tcpClosed.get(d).increment();
    }

    public long errors(Direction d, ProxyError e) {
        return errors.get(d).get(e).sum();
    }

    public long requests(Direction d) {
        return requests.get(d).sum();
    }

    /** Prometheus text exposition (format 0.0.4). */
    public String scrape() {
        StringBuilder b = new StringBuilder(2048);
        b.append("# HELP request_total Total number of HTTP requests the proxy received.\n");
        b.append("# TYPE request_total counter\n");
        for (Direction d : Direction.values()) {
            b.append("request_total{direction=\"").append(d.label()).append("\"} ").append(requests.get(d).sum()).append('\n');
        }
        b.append("# HELP tcp_open_total Total number of TCP connections the proxy accepted.\n");
        b.append("# TYPE tcp_open_total counter\n");
        for (Direction d : Direction.values()) {
            b.append("tcp_open_total{direction=\"").append(d.label()).append("\"} ").append(tcpOpened.get(d).sum()).append('\n');
        }
        b.append("# HELP tcp_open_connections Number of accepted TCP connections currently open.\n");
        b.append("# TYPE tcp_open_connections gauge\n");
        for (Direction d : Direction.values()) {
            b.append("tcp_open_connections{direction=\"").append(d.label()).append("\"} ")
                    .append(tcpOpened.get(d).sum() - tcpClosed.get(d).sum()).append('\n');
        }
        b.append("# HELP meshj_proxy_errors_total Requests the proxy answered itself, by reason.\n");
        b.append("# TYPE meshj_proxy_errors_total counter\n");
        for (Direction d : Direction.values()) {
            for (Map.Entry<ProxyError, LongAdder> e : errors.get(d).entrySet()) {
                b.append("meshj_proxy_errors_total{direction=\"").append(d.label()).append("\",reason=\"")
                        .append(e.getKey().name().toLowerCase(Locale.ROOT)).append("\"} ")
                        .append(e.getValue().sum()).append('\n');
            }
        }
        WorkloadCertifier c = certifier;
        if (c != null) {
            appendIdentity(b, c);
        }
        return b.toString();
    }

    private static void appendIdentity(StringBuilder b, WorkloadCertifier c) {
        b.append("# HELP identity_cert_expiration_timestamp_seconds When the proxy's current certificate expires (0: none yet).\n");
        b.append("# TYPE identity_cert_expiration_timestamp_seconds gauge\n");
        b.append("identity_cert_expiration_timestamp_seconds ")
                .append(c.current().map(k -> k.validUntil().getEpochSecond()).orElse(0L)).append('\n');
        b.append("# HELP identity_cert_refresh_timestamp_seconds When the proxy last received a certificate (0: never).\n");
        b.append("# TYPE identity_cert_refresh_timestamp_seconds gauge\n");
        b.append("identity_cert_refresh_timestamp_seconds ")
                .append(c.refreshedAt().map(java.time.Instant::getEpochSecond).orElse(0L)).append('\n');
        b.append("# HELP identity_cert_refresh_total Certificates received, the first included.\n");
        b.append("# TYPE identity_cert_refresh_total counter\n");
        b.append("identity_cert_refresh_total ").append(c.refreshCount()).append('\n');
        b.append("# HELP identity_cert_refresh_failures_total Certification attempts that failed.\n");
        b.append("# TYPE identity_cert_refresh_failures_total counter\n");
        b.append("identity_cert_refresh_failures_total ").append(c.failureCount()).append('\n');
    }
}
