/**
 * gRPC-Java's routing SPIs for embedded apps: a {@link io.grpc.NameResolverProvider} for targets
 * {@code mesh:///<service>.<namespace>:<port>} that resolves through meshj discovery, and a
 * {@link io.grpc.LoadBalancerProvider} ({@value io.meshj.core.grpc.MeshLoadBalancerProvider#POLICY})
 * that picks by the power of two choices over peak-EWMA load, as the sidecar does. Both are
 * registered through {@link java.util.ServiceLoader}, so having mesh-core on the class path is enough.
 */
package io.meshj.core.grpc;
