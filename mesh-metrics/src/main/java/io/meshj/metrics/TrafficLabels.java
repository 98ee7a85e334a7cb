package io.meshj.metrics;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * The labels that say where a request or connection went, shared by its request, response and latency
 * series: {@code direction}, {@code authority} (null for none), {@code target_addr}, the TLS status, and
 * the destination's discovery labels (exported with a {@code dst_} prefix: {@code dst_namespace},
 * {@code dst_service}, {@code dst_pod}, ...).
 */
public record TrafficLabels(String direction, String authority, String targetAddr, TlsStatus tls, Map<String, String> dst) {

    public TrafficLabels {
        requireNonNull(direction, "direction");
        requireNonNull(targetAddr, "targetAddr");
        requireNonNull(tls, "tls");
        dst = dst == null ? Map.of() : dst;
    }
}
