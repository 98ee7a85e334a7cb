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
import io.meshj.core.profile.ServiceProfile;
import java.util.function.Supplier;

/**
 * One {@code mesh:///} target's resolution: a discovery watch whose updates are applied in the
 * channel's synchronization context and handed to the channel as the full address list (gRPC wants
 * the whole state each time). An address is where the channel dials: the endpoint's proxy inbound port
 * when a meshj proxy fronts it, else the endpoint itself.
 */
final class MeshNameResolver extends NameResolver {

    private final Authority authority;
    private final Supplier<MeshRuntime> runtime;
    private final SynchronizationContext sync;
    private final ServiceConfigParser serviceConfigParser;
    private Listener2 listener;
    private Watch watch;
    private EndpointSet endpoints = EndpointSet.empty();
    private boolean shutdown;

    private Watch profileWatch;
    private ServiceProfile profile;
    private boolean resolved;

    MeshNameResolver(Authority authority, Supplier<MeshRuntime> runtime, Args args) {
        this.authority = authority;
        this.runtime = runtime;
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
        MeshRuntime mesh;
        DiscoverySource source;
        try {
            mesh = runtime.get();
            source = mesh.discovery();
        } catch (RuntimeException e) {
            listener.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e));
            return;
        }
        watch = source.watch(authority, update -> sync.execute(() -> apply(update)));
        profileWatch = mesh.watchProfile(authority, p -> sync.execute(() -> applyProfile(p)));
    }

    private void applyProfile(ServiceProfile p) {
        if (shutdown) {
            return;
        }
        profile = p;
        if (resolved) {
            publish(); // the endpoints are known: hand over the new routes with them
        }
    }

    private void apply(EndpointUpdate update) {
        if (shutdown) {
            return;
        }
        endpoints = endpoints.apply(update);
        resolved = true;
        publish();
    }

    /** Hands the channel the whole state: every endpoint, and the profile's routes as service config. */
    private void publish() {
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
                .setServiceConfig(serviceConfigParser.parseServiceConfig(ProfileServiceConfig.of(profile)))
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
        if (profileWatch != null) {
            profileWatch.close();
        }
    }
}
