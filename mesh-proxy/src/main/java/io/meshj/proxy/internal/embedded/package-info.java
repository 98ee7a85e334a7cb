/**
 * The embedded mode's machinery behind {@code io.meshj.proxy.embedded}: gRPC tracers, filters and
 * interceptors that record the sidecar's metrics and tap events for an application's own calls.
 * Not API: anything here may change.
 */
package io.meshj.proxy.internal.embedded;
