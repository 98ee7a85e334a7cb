/**
 * Micrometer meters under Linkerd's metric names and labels ({@link io.meshj.metrics.MeshMetrics}:
 * {@link io.meshj.metrics.HttpMetrics} request/response/latency series, {@link io.meshj.metrics.TcpMetrics}
 * connection series, the identity certificate's series, JVM metrics) and their Prometheus text
 * exposition. Labels that take arbitrary values are bounded.
 *
 * <p>Still to come with the observability issue: the math behind {@code meshj stat} (success rate, RPS,
 * quantiles from buckets) and gRPC interceptors for embedded apps.
 */
package io.meshj.metrics;
