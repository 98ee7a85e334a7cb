/**
 * Micrometer meters under Linkerd's metric names and labels, Prometheus text exposition, the math
 * behind {@code meshj stat} (success rate, RPS, quantiles from buckets) and gRPC interceptors that
 * record them.
 *
 * <p>Arrives with the observability issue; see {@code ../shared/design.md}.
 */
package io.meshj.metrics;
