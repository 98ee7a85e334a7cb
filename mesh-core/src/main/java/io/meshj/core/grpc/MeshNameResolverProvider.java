package io.meshj.core.grpc;

import io.grpc.Attributes;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.InvalidAuthorityException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Resolves {@code mesh:///<service>.<namespace>:<port>} through meshj discovery (the controller's
 * destination API): the channel's addresses follow the service's endpoints as they come and go, each
 * carrying its {@link Endpoint} ({@link #ENDPOINT}) for the balancer, and the service config selects
 * {@value MeshLoadBalancerProvider#POLICY}.
 *
 * <p>The mesh is the name-resolver argument {@link #MESH} when the channel's builder set it
 * ({@code Mesh.channel} does), else the process's default {@link MeshRuntime} found by {@link ServiceLoader}.
 */
public final class MeshNameResolverProvider extends NameResolverProvider {

    public static final String SCHEME = "mesh";

    /** The mesh a channel belongs to (set with {@code ManagedChannelBuilder.setNameResolverArg}). */
    public static final NameResolver.Args.Key<MeshRuntime> MESH = NameResolver.Args.Key.create("meshj.mesh");

    /** The endpoint behind an address the resolver returns. */
    public static final Attributes.Key<Endpoint> ENDPOINT = Attributes.Key.create("meshj.endpoint");

    /** The provider {@link ServiceLoader} creates. */
    public MeshNameResolverProvider() {
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        if (!SCHEME.equals(targetUri.getScheme())) {
            return null;
        }
        Authority authority = parseTarget(targetUri);
        return new MeshNameResolver(authority, () -> runtime(args), args);
    }

    /**
     * The service a target names: {@code mesh:///web-svc.emojivoto:8080}. A target without a port or
     * with anything but a path is refused with a message saying what a target looks like.
     */
    static Authority parseTarget(URI target) {
        String path = target.getPath();
        if (target.getAuthority() != null && !target.getAuthority().isEmpty() || path == null || path.length() < 2) {
            throw new IllegalArgumentException("mesh target " + target + " must look like mesh:///<service>.<namespace>:<port>");
        }
        try {
            Authority a = Authority.parse(path.substring(1));
            if (!a.hasPort()) {
                throw new IllegalArgumentException("mesh target " + target + " has no port: mesh:///<service>.<namespace>:<port>");
            }
            return a;
        } catch (InvalidAuthorityException e) {
            throw new IllegalArgumentException("mesh target " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * The mesh of a channel with {@code args}: its own, else the process's default.
     *
     * @throws IllegalStateException saying what to do when there is neither
     */
    static MeshRuntime runtime(NameResolver.Args args) {
        MeshRuntime own = args == null ? null : args.getArg(MESH);
        if (own != null) {
            return own;
        }
        for (MeshRuntime d : ServiceLoader.load(MeshRuntime.class, MeshNameResolverProvider.class.getClassLoader())) {
            return d;
        }
        throw new IllegalStateException("no meshj discovery for mesh:/// targets: build the channel with Mesh.channel(...),"
                + " or put mesh-proxy on the class path and configure MESHJ_DESTINATION");
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    /**
     * Below DNS's 5: gRPC resolves targets without a scheme with the highest-priority provider's default
     * scheme, and a plain {@code host:port} must stay DNS.
     */
    @Override
    protected int priority() {
        return 4;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }
}
