/**
 * Endpoints — the concrete {@code address:port} instances behind a service — and the stream of
 * {@link io.meshj.core.endpoint.EndpointUpdate}s that discovery sends about them (the semantics of
 * Linkerd's destination API: Add, Remove, NoEndpoints), applied by {@link io.meshj.core.endpoint.EndpointSet}.
 */
package io.meshj.core.endpoint;
