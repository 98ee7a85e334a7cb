package io.meshj.proxy.embedded;

import static java.util.Objects.requireNonNull;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.api.destination.v1.ProtocolHint;
import io.meshj.api.registry.v1.Workload;
import io.meshj.core.ConfigException;
import io.meshj.core.discovery.DestinationDiscovery;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.Watch;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.grpc.EndpointObserver;
import io.meshj.core.grpc.MeshNameResolverProvider;
import io.meshj.core.grpc.MeshRuntime;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.retry.ExponentialBackoff;
import io.meshj.core.tap.TapBus;
import io.meshj.core.time.Ticker;
import io.meshj.metrics.MeshMetrics;
import io.meshj.proxy.internal.admin.AdminServer;
import io.meshj.proxy.internal.embedded.InboundObservers;
import io.meshj.proxy.internal.embedded.OutboundObserver;
import io.meshj.proxy.internal.registry.Registrar;
import io.meshj.proxy.internal.tap.TapServer;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.transport.Transport;
import io.meshj.tls.CertifiedKey;
import io.meshj.tls.MeshGrpcCredentials;
import io.meshj.tls.MeshTrustManager;
import io.meshj.tls.RotatingKeyManager;
import io.meshj.tls.WorkloadIdentity;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.ClientAuth;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The mesh inside a Java application: what the sidecar gives a workload, without the sidecar hop.
 * A {@code Mesh} holds the workload's identity (a certificate from the controller's identity service,
 * renewed before it ends), resolves {@code mesh:///} names through the controller, records Linkerd's
 * metrics (served on its own admin port, where the controller scrapes them, or in the application's
 * registry) and publishes tap events (served to the controller on its tap port). It registers itself
 * with the controller as a client from the start, so that a workload that only calls others is
 * scraped, tapped and shown by stat and edges too; each {@link MeshServer} registers it as an endpoint
 * of its service besides.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.fromEnvironment();              // MESHJ_* variables, meshj.* system properties
 * ManagedChannel voting = mesh.channel("voting-svc.emojivoto:8080");   // P2C, mTLS, metrics, tap
 * MeshServer server = MeshServer.forPort(mesh, 8080).addService(new EmojiService()).start();
 * }</pre>
 *
 * <p>Or, with the process's default mesh and gRPC-Java's own builders:
 * <pre>{@code
 * ManagedChannel ch = Grpc.newChannelBuilder("mesh:///voting-svc.emojivoto:8080", MeshCredentials.channel()).build();
 * Server s = Grpc.newServerBuilderForPort(8080, MeshCredentials.server()).build();
 * }</pre>
 *
 * <p>Thread-safe. {@link #close} ends everything it started.
 */
public final class Mesh implements MeshRuntime, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Mesh.class.getName());
    private static Mesh defaultMesh;

    private final MeshSettings settings;
    private final WorkloadIdentity identity;
    private final EventLoopGroup group;
    private final DefaultEventExecutor control;
    private final ManagedChannel controllerChannel;
    private final ManagedChannel identityChannel;
    private final DestinationDiscovery destinations;
    private final io.meshj.core.discovery.ProfileDiscovery profiles;
    private final DiscoverySource discovery;
    private final List<X509Certificate> trustAnchors;
    private final ProxyTls tls;
    private final MeshMetrics metrics;
    private final TapBus tapBus = TapBus.create();
    private final Map<String, String> labels;
    /** What discovery says each target's endpoints are, by target authority: servers must be one of them. */
    private final Map<Authority, Set<String>> expectedIdentities = new ConcurrentHashMap<>();
    private final Channel adminServer;
    private final TapServer tapServer;
    private final Registrar clientRegistration;
    private volatile boolean closed;

    // Package-private, not public: MeshBuilder#build() checks the settings and resolves their defaults first.
    Mesh(MeshSettings s) {
        this.settings = s;
        this.identity = new WorkloadIdentity(s.serviceAccount(), s.namespace(), s.trustDomain());
        this.trustAnchors = ProxyTls.readTrustAnchors(s.trustAnchors());
        Transport transport = Transport.best();
        this.group = transport.newGroup(1, "meshj-mesh");
        this.control = new DefaultEventExecutor(new DefaultThreadFactory("meshj-identity", true));
        ChannelCredentials controllerTls = s.controllerIdentity() == null ? null : MeshGrpcCredentials.channel(
                (RotatingKeyManager) null, trustAnchors,
                MeshTrustManager.IdentityPolicy.exactly(WorkloadIdentity.parseDnsName(s.controllerIdentity())));
        this.controllerChannel = controllerChannel(s.destination(), controllerTls)
                // Watches are quiet streams: pings find a controller that vanished without a FIN.
                .keepAliveTime(30, TimeUnit.SECONDS).keepAliveTimeout(10, TimeUnit.SECONDS)
                .build();
        this.identityChannel = controllerChannel(s.identityService(), controllerTls).build();
        AuthorityNormalizer normalizer = AuthorityNormalizer.builder().namespace(s.namespace()).clusterDomain(s.clusterDomain()).build();
        this.destinations = DestinationDiscovery.builder(controllerChannel).normalizer(normalizer).build();
        this.discovery = new IdentityRecordingDiscovery();
        this.profiles = io.meshj.core.discovery.ProfileDiscovery.builder(controllerChannel).normalizer(normalizer).build();
        this.tls = ProxyTls.start(identity, s.tokenFile(), trustAnchors, identityChannel, control);
        this.metrics = s.registry() == null ? MeshMetrics.create() : MeshMetrics.create(s.registry());
        metrics.identity(tls.certifier(),
                c -> c.current().map(k -> (double) k.validUntil().getEpochSecond()).orElse(0.0),
                c -> c.refreshedAt().map(t -> (double) t.getEpochSecond()).orElse(0.0),
                c -> c.refreshCount(), c -> c.failureCount());
        metrics.tap(tapBus, b -> b.subscriberCount(), b -> b.lostEvents());
        this.labels = workloadLabels(s);
        Channel admin = null;
        TapServer tap = null;
        try {
            admin = new ServerBootstrap().group(group).channel(transport.serverChannel())
                    .childHandler(new AdminServer(this::isReady, metrics::scrape,
                            () -> LOG.log(System.Logger.Level.INFO, "admin /shutdown ignored: the application owns this mesh"),
                            () -> tls.certifier().current().map(CertifiedKey::describe).orElse(null)))
                    .bind(s.adminListen()).sync().channel();
            tap = TapServer.start(s.tapListen(), tapBus, transport, group, tls, trustAnchors, controllerIdentity(s));
        } catch (Exception e) {
            if (admin != null) {
                admin.close();
            }
            closeParts();
            throw new IllegalStateException("cannot start the mesh's admin or tap server (" + s.adminListen() + ", "
                    + s.tapListen() + "): " + e.getMessage(), e);
        }
        this.adminServer = admin;
        this.tapServer = tap;
        this.clientRegistration = registrar("", 0); // a client: no service, no port
        clientRegistration.start();
        LOG.log(System.Logger.Level.INFO, "meshj embedded: {0} ({1}), controller {2}, admin {3}, tap {4}", identity,
                s.workloadName(), s.destination(), adminAddress(), tapAddress());
    }

    private static NettyChannelBuilder controllerChannel(Authority a, ChannelCredentials tls) {
        return tls == null ? NettyChannelBuilder.forAddress(a.host(), a.port()).usePlaintext()
                : NettyChannelBuilder.forAddress(a.host(), a.port(), tls);
    }

    private static WorkloadIdentity controllerIdentity(MeshSettings s) {
        return s.controllerIdentity() != null ? WorkloadIdentity.parseDnsName(s.controllerIdentity())
                : new WorkloadIdentity("controller", "meshj", s.trustDomain());
    }

    /** The workload as tap shows it, and as its registration labels it (deployment groups it in stat). */
    private static Map<String, String> workloadLabels(MeshSettings s) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("namespace", s.namespace());
        l.put("pod", s.workloadName());
        l.put("serviceaccount", s.serviceAccount());
        l.put("service", s.service());
        l.put("deployment", s.deployment());
        return l;
    }

    /** A mesh configured by {@code MESHJ_*} environment variables and {@code meshj.*} system properties. */
    public static Mesh fromEnvironment() {
        return builder().fromEnvironment(System.getenv(), System.getProperties()).build();
    }

    /**
     * The process's default mesh ({@link #fromEnvironment()}), created on first use and closed when the
     * JVM exits; {@link MeshCredentials} and {@code mesh:///} channels built without a mesh use it.
     *
     * @throws ConfigException naming the variable when the environment does not configure a mesh
     */
    public static synchronized Mesh defaultMesh() {
        if (defaultMesh == null || defaultMesh.closed) {
            Mesh m = fromEnvironment();
            Runtime.getRuntime().addShutdownHook(new Thread(m::close, "meshj-default-mesh-close"));
            defaultMesh = m;
        }
        return defaultMesh;
    }

    public static MeshBuilder builder() {
        return new MeshBuilder();
    }

    /** This workload's identity. */
    public WorkloadIdentity identity() {
        return identity;
    }

    /** True while the workload holds a certificate that has not ended. */
    public boolean isReady() {
        return !closed && tls.certifier().hasValidCertificate();
    }

    /**
     * Waits until the workload has its first certificate (until then neither its channels nor its
     * servers can complete a handshake).
     *
     * @throws IllegalStateException naming the identity service when none came within {@code timeout}
     */
    public Mesh awaitReady(Duration timeout) throws InterruptedException {
        try {
            tls.certifier().firstCertificate().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return this;
        } catch (TimeoutException e) {
            throw new IllegalStateException("no certificate for " + identity + " from the identity service at "
                    + settings.identityService() + " within " + timeout.toMillis() + " ms (is the controller running, and the token"
                    + " in " + settings.tokenFile() + " valid?)");
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot get a certificate for " + identity + ": " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /**
     * A channel to {@code target}, a service name ({@code voting-svc.emojivoto:8080}, or with its
     * {@code mesh:///} scheme): endpoints from discovery, P2C over peak-EWMA, mTLS with this workload's
     * identity (servers must present the identity discovery gives their endpoint), and the sidecar's
     * outbound metrics and tap for every call.
     */
    public ManagedChannel channel(String target) {
        return channelBuilder(target).build();
    }

    /** As {@link #channel}, to configure further (executor, interceptors, keepalive...). */
    public ManagedChannelBuilder<?> channelBuilder(String target) {
        requireNonNull(target, "target");
        String t = target.startsWith(MeshNameResolverProvider.SCHEME + ":") ? target
                : MeshNameResolverProvider.SCHEME + ":///" + target;
        return Grpc.newChannelBuilder(t, channelCredentials()).setNameResolverArg(MeshNameResolverProvider.MESH, this);
    }

    /** Credentials for channels of this mesh: mTLS as this workload, servers checked against discovery. */
    public ChannelCredentials channelCredentials() {
        return MeshGrpcCredentials.channel(tls.certifier(), trustAnchors, this::checkServer);
    }

    /**
     * Credentials for servers of this mesh: mTLS as this workload; clients of this trust domain are
     * identified (their identity in {@link MeshServer#PEER_IDENTITY}), clients without a certificate are
     * served without one, as the sidecar's inbound side does.
     */
    public ServerCredentials serverCredentials() {
        return MeshGrpcCredentials.server(tls.certifier(), trustAnchors,
                MeshTrustManager.IdentityPolicy.anyIn(settings.trustDomain()), ClientAuth.OPTIONAL);
    }

    /** The server must be one of the identities discovery gives for the target it was dialed for. */
    private String checkServer(String host, int port, Optional<WorkloadIdentity> peer) {
        if (peer.isEmpty()) {
            return "the server at " + host + ":" + port + " presented no mesh identity";
        }
        Set<String> expected = expectedIdentities.get(Authority.of(host, port));
        if (expected == null) {
            return "discovery has not named the endpoints of " + host + ":" + port;
        }
        return expected.contains(peer.get().dnsName()) ? null
                : "the server at " + host + ":" + port + " is " + peer.get() + ", but discovery gives " + expected;
    }

    /** The meters (also served on the admin port's {@code /metrics}). */
    public MeshMetrics metrics() {
        return metrics;
    }

    /** Where this workload's requests are published for tap (in-process subscribers may subscribe too). */
    public TapBus tapBus() {
        return tapBus;
    }

    public InetSocketAddress adminAddress() {
        return (InetSocketAddress) adminServer.localAddress();
    }

    public InetSocketAddress tapAddress() {
        return tapServer.address();
    }

    @Override
    public DiscoverySource discovery() {
        return discovery;
    }

    /** Route timeouts and retries of the target's service profile reach its channels as gRPC service config. */
    @Override
    public Watch watchProfile(Authority authority, java.util.function.Consumer<io.meshj.core.profile.ServiceProfile> listener) {
        return profiles.watch(authority, listener);
    }

    @Override
    public EndpointObserver observer(String authority) {
        return new OutboundObserver(metrics, tapBus, authority, labels, Ticker.system());
    }

    /** The recorders an embedded server installs (see {@link MeshServer}). */
    InboundObservers inboundObservers() {
        return new InboundObservers(metrics, tapBus, labels, MeshServer.PEER_IDENTITY, Ticker.system());
    }

    /**
     * Registers this workload with the controller as an endpoint of its service at {@code port} (its
     * address is the configured register address), with its identity, admin and tap ports, and keeps
     * the lease until the returned registration is closed.
     */
    public AutoCloseable register(int port) {
        Registrar r = registrar(settings.service(), port);
        r.start();
        return r::close;
    }

    /** The registration of this workload as an endpoint of {@code service} at {@code port}, or as a client ("", 0). */
    private Registrar registrar(String service, int port) {
        return new Registrar(controllerChannel, control, Workload.newBuilder()
                .setName(settings.workloadName()).setNamespace(settings.namespace()).setService(service).setPort(port)
                .setAddress(settings.registerAddress()).setServiceAccount(settings.serviceAccount())
                .setProtocolHint(ProtocolHint.PROTOCOL_HINT_H2)
                .setTlsIdentity(identity.dnsName())
                .setAdminPort(adminAddress().getPort()).setTapPort(tapAddress().getPort())
                .putLabels("deployment", settings.deployment())
                .build(),
                () -> ProxyTls.readToken(settings.tokenFile()),
                ExponentialBackoff.builder().min(Duration.ofMillis(200)).max(Duration.ofSeconds(10)).build());
    }

    String registerAddress() {
        return settings.registerAddress();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        clientRegistration.close();
        adminServer.close();
        tapServer.close();
        closeParts();
    }

    private void closeParts() {
        tls.close();
        profiles.close();
        destinations.close();
        controllerChannel.shutdownNow();
        identityChannel.shutdownNow();
        control.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        metrics.close();
    }

    /**
     * The mesh's discovery, noting the identities each target's endpoints must present, which the
     * channel's TLS checks servers against.
     */
    private final class IdentityRecordingDiscovery implements DiscoverySource {
        @Override
        public Watch watch(Authority authority, io.meshj.core.discovery.DiscoveryListener listener) {
            EndpointSet[] current = {EndpointSet.empty()};
            return destinations.watch(authority, update -> {
                current[0] = current[0].apply(update);
                expectedIdentities.put(authority, current[0].endpoints().stream().map(Endpoint::tlsIdentity)
                        .flatMap(Optional::stream).collect(Collectors.toUnmodifiableSet()));
                listener.onUpdate(update);
            });
        }

        @Override
        public void close() {
            destinations.close();
        }
    }
}
