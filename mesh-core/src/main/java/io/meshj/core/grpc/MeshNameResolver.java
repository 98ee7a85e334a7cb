package io.meshj.core.grpc;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.Watch;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One {@code mesh:///} target's resolution: a discovery watch whose updates are applied in the
 * channel's synchronization context and handed to the channel as the full address list (gRPC wants
 * the whole state each time). An address is where the channel dials: the endpoint's proxy inbound port
 * when a meshj proxy fronts it, else the endpoint itself.
 */
final class MeshNameResolver extends NameResolver {

    private static final Map<String, ?> SERVICE_CONFIG = Map.of("loadBalancingConfig",
            List.of(Map.of(MeshLoadBalancerProvider.POLICY, Map.of())));

    private final Authority authority;
    private final Supplier<DiscoverySource> discovery;
    private final SynchronizationContext sync;
    private final ServiceConfigParser serviceConfigParser;
    private Listener2 listener;
    private Watch watch;
    private EndpointSet endpoints = EndpointSet.empty();
    private boolean shutdown;

    MeshNameResolver(Authority authority, Supplier<DiscoverySource> discovery, Args args) {
        this.authority = authority;
        this.discovery = discovery;
        this.sync = args.getSynchronizationContext();
        this.serviceConfigParser = args.getServiceConfigParser();
    }

    @Override
    public String getServiceAuthority() {
        return authority.toString();
    }

    @Override
    public void start(Listener2 listener) {
        this.listener = listener;
        DiscoverySource source;
        try {
            source = discovery.get();
        } catch (RuntimeException e) {
            listener.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e));
            return;
        }
        watch = source.watch(authority, update -> sync.execute(() -> apply(update)));
    }

    private void apply(EndpointUpdate update) {
        if (shutdown) {
            return;
        }
        endpoints = endpoints.apply(update);
        List<EquivalentAddressGroup> groups = new ArrayList<>(endpoints.size());
        for (Endpoint e : endpoints.endpoints()) {
            Authority dial = e.inboundPort() > 0 ? e.address().withPort(e.inboundPort()) : e.address();
            groups.add(new EquivalentAddressGroup(new InetSocketAddress(dial.toInetAddress(), dial.port()),
                    Attributes.newBuilder().set(MeshNameResolverProvider.ENDPOINT, e).build()));
        }
        Attributes attrs = Attributes.newBuilder()
                .set(MeshLoadBalancerProvider.SERVICE_EXISTS, endpoints.exists())
                .build();
        listener.onResult2(ResolutionResult.newBuilder()
                .setAddressesOrError(StatusOr.fromValue(groups))
                .setAttributes(attrs)
                .setServiceConfig(serviceConfigParser.parseServiceConfig(SERVICE_CONFIG))
                .build());
    }

    @Override
    public void refresh() {
        // Discovery pushes every change; there is nothing to ask again.
    }

    @Override
    public void shutdown() {
        shutdown = true;
        if (watch != null) {
            watch.close();
        }
    }
}
