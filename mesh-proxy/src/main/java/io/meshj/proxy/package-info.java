/**
 * The Netty data plane: listeners, protocol detection, HTTP/1, HTTP/2, gRPC and TCP forwarding,
 * upstream pools, the admin and tap servers, and the embedded {@code Mesh} facade.
 *
 * <p>Arrives with the data-plane issue; see {@code ../shared/design.md}.
 */
package io.meshj.proxy;
