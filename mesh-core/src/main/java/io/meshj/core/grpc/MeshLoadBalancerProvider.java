package io.meshj.core.grpc;

import io.grpc.Attributes;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver;
import io.meshj.core.balance.P2cBalancer;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The balancer of {@code mesh:///} channels, {@value #POLICY}: one subchannel per endpoint, and each
 * call to the better of two random ready endpoints by peak-EWMA load ({@link P2cBalancer}, the
 * sidecar's algorithm), with each call's outcome fed back into the estimate.
 */
public final class MeshLoadBalancerProvider extends LoadBalancerProvider {

    /** The policy name, as service configs name it. */
    public static final String POLICY = "meshj_p2c";

    /** Whether discovery knows the service at all (false: it does not exist, rather than having no endpoints now). */
    static final Attributes.Key<Boolean> SERVICE_EXISTS = Attributes.Key.create("meshj.serviceExists");

    private final Supplier<P2cBalancer> balancers;

    /** The provider {@link java.util.ServiceLoader} creates. */
    public MeshLoadBalancerProvider() {
        this(() -> P2cBalancer.builder().build());
    }

    /** With balancers made by {@code balancers} (a fixed clock and random source, for tests). */
    MeshLoadBalancerProvider(Supplier<P2cBalancer> balancers) {
        this.balancers = balancers;
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public int getPriority() {
        return 5;
    }

    @Override
    public String getPolicyName() {
        return POLICY;
    }

    @Override
    public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
        EndpointObserver observer;
        try {
            observer = MeshNameResolverProvider.runtime(helper.getNameResolverArgs()).observer(helper.getAuthority());
        } catch (RuntimeException e) {
            observer = null; // no mesh: the resolver reports why, and no call gets this far
        }
        return new MeshLoadBalancer(helper, balancers.get(), observer);
    }

    @Override
    public NameResolver.ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
        return NameResolver.ConfigOrError.fromConfig(POLICY);
    }
}
