/**
 * The embedded mode: the mesh as a library inside a Java application — {@link io.meshj.proxy.embedded.Mesh}
 * (identity, discovery, metrics, tap), {@link io.meshj.proxy.embedded.MeshServer} (a gRPC server in the
 * mesh) and {@link io.meshj.proxy.embedded.MeshCredentials} (the default mesh's gRPC credentials).
 * Channels to {@code mesh:///} targets resolve and balance through mesh-core's gRPC providers.
 */
package io.meshj.proxy.embedded;
