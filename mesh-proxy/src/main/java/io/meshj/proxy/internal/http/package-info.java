/**
 * The HTTP adapters of the request path: an HTTP/1 connection ({@code Http1ServerHandler}, one request
 * at a time, pipelined ones queued) and an HTTP/2 stream ({@code Http2ServerStream}) as a
 * {@link io.meshj.proxy.internal.call.Downstream}, the pipelines that install them, and HTTP/1's head and
 * idle timers. Everything protocol-neutral is in the {@code call} package; nothing else imports this one
 * but the listener set-up that picks it after protocol detection.
 */
package io.meshj.proxy.internal.http;
