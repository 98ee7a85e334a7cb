package io.meshj.core.grpc;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.meshj.core.endpoint.Endpoint;

/**
 * Sees each call of a {@code mesh:///} channel on the endpoint the balancer picked for it — for metrics
 * and tap, which need the endpoint's labels and identity. A channel's observer comes from its mesh
 * ({@link MeshRuntime#observer}).
 *
 * <p>Called on the thread that picks (any application thread); must not block.
 */
@FunctionalInterface
public interface EndpointObserver {

    /**
     * A tracer for one attempt of a call of {@code fullMethodName} ({@code package.Service/Method}) sent
     * to {@code endpoint}; {@code headers} may still be changed. Returns null to observe nothing.
     */
    ClientStreamTracer newTracer(Endpoint endpoint, String fullMethodName, ClientStreamTracer.StreamInfo info,
            Metadata headers);
}
