/**
 * HTTP/2 at the frame level: one handler per connection and streams as plain objects (in the style of
 * gRPC-Java's Netty transport), instead of Netty's child channel per stream. Streams exchange Netty
 * HttpObjects with the rest of the proxy.
 */
package io.meshj.proxy.internal.h2;
