package io.meshj.proxy.internal;

import io.meshj.metrics.HttpMetrics;
import io.meshj.metrics.MeshMetrics;
import io.meshj.metrics.TcpMetrics;
import io.meshj.metrics.TlsStatus;
import io.meshj.metrics.TrafficLabels;
import io.meshj.proxy.internal.route.Target;
import io.meshj.tls.WorkloadCertifier;
import io.micrometer.core.instrument.Counter;
import java.util.EnumMap;
import java.util.Map;

/**
 * The proxy's meters: Linkerd's HTTP, TCP and identity series from {@link MeshMetrics}, plus the proxy's
 * own {@code meshj_proxy_errors_total} (answers it made itself, by reason). {@link #scrape()} is the
 * admin {@code /metrics} body.
 */
public final class ProxyMetrics {

    private final MeshMetrics mesh = MeshMetrics.create();
    private final Map<Direction, Map<ProxyError, Counter>> errors = new EnumMap<>(Direction.class);

    public ProxyMetrics() {
        for (Direction d : Direction.values()) {
            Map<ProxyError, Counter> byKind = new EnumMap<>(ProxyError.class);
            for (ProxyError e : ProxyError.values()) {
                byKind.put(e, mesh.counter("meshj_proxy_errors", "Requests and connections the proxy answered or refused itself, by reason.",
                        "direction", d.label(), "reason", e.label()));
            }
            errors.put(d, byKind);
        }
    }

    public HttpMetrics http() {
        return mesh.http();
    }

    /** The per-route series of service profiles. */
    public io.meshj.metrics.RouteMetrics routes() {
        return mesh.routes();
    }

    public TcpMetrics tcp() {
        return mesh.tcp();
    }

    /** Reports the certificates of {@code certifier} (Linkerd's identity_cert_* series). */
    public void identity(WorkloadCertifier certifier) {
        mesh.identity(certifier,
                c -> c.current().map(k -> (double) k.validUntil().getEpochSecond()).orElse(0.0),
                c -> c.refreshedAt().map(t -> (double) t.getEpochSecond()).orElse(0.0),
                c -> c.refreshCount(),
                c -> c.failureCount());
    }

    /** Reports {@code bus}'s subscribers and lost events. */
    public void tap(io.meshj.core.tap.TapBus bus) {
        mesh.tap(bus, b -> b.subscriberCount(), b -> b.lostEvents());
    }

    /** Drops the series of label sets idle for {@link MeshMetrics#DEFAULT_RETAIN_IDLE} (endpoints gone). */
    public void expireIdle() {
        mesh.expireIdle(MeshMetrics.DEFAULT_RETAIN_IDLE);
    }

    public void error(Direction d, ProxyError e) {
        errors.get(d).get(e).increment();
    }

    /** Requests recorded in {@code d} so far (the sum of its request_total series). */
    public long requests(Direction d) {
        return (long) mesh.registry().find("request_total").tag("direction", d.label()).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    public long errors(Direction d, ProxyError e) {
        return (long) errors.get(d).get(e).count();
    }

    /**
     * The labels of a request in {@code direction} for {@code authority} (may be null) that went to
     * {@code target} (null: the proxy answered before there was one). {@code peerIdentity} is the
     * verified client of an inbound request; {@code localTls} whether this proxy can talk mTLS at all.
     */
    public static TrafficLabels labels(Direction direction, String authority, Target target, String peerIdentity,
            boolean localTls) {
        if (direction == Direction.INBOUND) {
            TlsStatus tls = peerIdentity != null ? TlsStatus.fromClient(peerIdentity) : TlsStatus.NO_TLS_FROM_REMOTE;
            return new TrafficLabels(direction.label(), authority, target == null ? "unknown" : target.endpoint().toString(),
                    tls, Map.of());
        }
        if (target == null) {
            return new TrafficLabels(direction.label(), authority, "unknown", TlsStatus.NOT_PROVIDED_BY_DISCOVERY, Map.of());
        }
        return new TrafficLabels(direction.label(), authority, target.endpoint().toString(), outboundTls(target, localTls),
                dstLabels(target));
    }

    /** What an outbound connection to {@code target} is, TLS-wise. */
    private static TlsStatus outboundTls(Target target, boolean localTls) {
        return target.identity() == null ? TlsStatus.NOT_PROVIDED_BY_DISCOVERY
                : localTls ? TlsStatus.toServer(target.identity()) : NO_LOCAL_IDENTITY;
    }

    /** The endpoint's discovery labels, exported as dst_*; none for a target no balancer chose. */
    private static Map<String, String> dstLabels(Target target) {
        return target.pick() == null ? Map.of() : target.pick().endpoint().labels();
    }

    /**
     * Meters a connection this proxy makes for {@code direction}'s traffic to {@code target}
     * ({@code peer="dst"}): to the application (inbound, loopback) or to an endpoint (outbound).
     */
    public TcpMetrics.Connection connected(Direction direction, Target target, boolean localTls) {
        if (direction == Direction.INBOUND) {
            return mesh.tcp().connected(direction.label(), TlsStatus.LOOPBACK, target.address().toString(), Map.of());
        }
        return mesh.tcp().connected(direction.label(), outboundTls(target, localTls), target.endpoint().toString(),
                dstLabels(target));
    }

    private static final TlsStatus NO_LOCAL_IDENTITY = TlsStatus.none("local_identity_disabled");

    /** Prometheus text exposition (format 0.0.4). */
    public String scrape() {
        return mesh.scrape();
    }
}
