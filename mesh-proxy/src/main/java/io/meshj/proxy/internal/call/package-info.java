/**
 * The request path of the sidecar, protocol-neutral between HTTP/1 and HTTP/2: one {@link
 * io.meshj.proxy.internal.call.ProxyCall} per request, from a {@link io.meshj.proxy.internal.call.Downstream}
 * (which the {@code http} package adapts to an HTTP/1 connection or an HTTP/2 stream) through routing,
 * attempts at upstreams and retries, to the response; with metrics and tap observing it at the design's
 * fixed points. Bodies are Netty {@code HttpObject}s, the model both HTTP versions share here.
 */
package io.meshj.proxy.internal.call;
