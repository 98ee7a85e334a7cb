package io.meshj.proxy;

import static java.util.Objects.requireNonNull;

import io.grpc.ManagedChannel;
import io.meshj.api.destination.v1.ProtocolHint;
import io.meshj.api.registry.v1.Workload;
import io.meshj.core.retry.ExponentialBackoff;
import io.meshj.proxy.internal.registry.Registrar;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.core.discovery.DestinationDiscovery;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.StaticFileDiscovery;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.proxy.internal.ListenerInitializer;
import io.meshj.proxy.internal.ProxyMetrics;
import io.meshj.proxy.internal.admin.AdminServer;
import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.internal.DrainEvent;
import io.meshj.proxy.internal.ProxyLifecycle;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.internal.route.InboundRouter;
import io.meshj.proxy.internal.route.OutboundRouter;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.transport.OriginalDestination;
import io.meshj.proxy.internal.transport.Transport;
import io.meshj.tls.WorkloadCertifier;
import io.meshj.tls.WorkloadIdentity;
import io.meshj.proxy.internal.upstream.UpstreamConnector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The sidecar proxy: an outbound listener for the application's own requests, an inbound listener for
 * requests to it, and an admin server. {@link #start} binds them all; {@link #shutdown} drains.
 *
 * <pre>{@code
 * MeshProxy proxy = MeshProxy.start(ProxyConfig.builder().appPorts(List.of(8080)).build());
 * ...
 * proxy.shutdown();                 // stop accepting, finish in-flight requests, close
 * proxy.terminationFuture().join();
 * }</pre>
 */
public final class MeshProxy implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MeshProxy.class.getName());

    private final ProxyConfig config;
    private final Transport transport;
    private final EventLoopGroup group;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final DiscoverySource discovery;
    private final ManagedChannel controllerChannel;
    private final ManagedChannel identityChannel;
    private final ProxyTls tls;
    /**
     * Runs certificate renewal and registration: key generation, CSR signing and token-file reads are
     * work that must not stall an I/O event loop.
     */
    private final io.netty.util.concurrent.EventExecutor control;
    private volatile Registrar registrar;
    private final OutboundRouter outboundRouter;
    private final io.meshj.core.discovery.ProfileDiscovery profileDiscovery;
    private final io.meshj.proxy.internal.route.RouteProfiles profiles;
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final io.meshj.core.tap.TapBus tapBus = io.meshj.core.tap.TapBus.create();
    private final java.util.List<java.security.cert.X509Certificate> trustAnchors;
    private io.meshj.proxy.internal.tap.TapServer tapServer;
    private final ProxyLifecycle lifecycle = new ProxyLifecycle();
    /** One for both listeners: a client's early resets count wherever it sends them. */
    private final io.meshj.proxy.internal.ResetBudget resetBudget = io.meshj.proxy.internal.ResetBudget.defaults(
            io.meshj.core.time.Ticker.system());
    /** The data plane's clock: requests' latencies and timeouts, balancers, retry budgets. */
    private final io.meshj.core.time.Ticker ticker = io.meshj.core.time.Ticker.system();
    private final ChannelGroup downstreams = new DefaultChannelGroup("downstreams", GlobalEventExecutor.INSTANCE);
    private final ChannelGroup upstreams = new DefaultChannelGroup("upstreams", GlobalEventExecutor.INSTANCE);
    private final ProxyContext outboundContext;
    private final ProxyContext inboundContext;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private volatile boolean ready;
    private Channel outboundServer;
    private Channel inboundServer;
    private Channel adminServer;

    private MeshProxy(ProxyConfig config) {
        this.config = config;
        this.transport = Transport.best();
        this.group = transport.newGroup(config.eventLoops(), "proxy");
        this.resolver = transport.newResolver();
        AuthorityNormalizer normalizer = AuthorityNormalizer.builder()
                .namespace(config.namespace())
                .clusterDomain(config.clusterDomain())
                .build();
        // The controller channel runs on the proxy's own event loops: it is one more non-blocking
        // connection, and needs no threads of its own.
        // Read once, for both the controller's TLS and the proxy's own (a ConfigException names the file).
        java.util.List<java.security.cert.X509Certificate> anchors = config.trustAnchors().map(ProxyTls::readTrustAnchors)
                .orElseGet(() -> config.trustAnchorsPem().map(pem -> ProxyTls.parseTrustAnchors(pem, "trust-anchors-pem"))
                        .orElse(null));
        this.trustAnchors = anchors;
        io.grpc.ChannelCredentials controllerCredentials = controllerCredentials(config, anchors);
        this.controllerChannel = config.destination()
                .map(a -> (ManagedChannel) controllerChannel(a, controllerCredentials)
                        .eventLoopGroup(group)
                        .channelType(transport.socketChannel())
                        // A watch sends nothing after its request: without pings, a controller that
                        // vanished without a FIN (power loss, partition) would leave every watch
                        // open, stale and never reconnecting. (The controller permits pings every 10 s.)
                        .keepAliveTime(30, TimeUnit.SECONDS)
                        .keepAliveTimeout(10, TimeUnit.SECONDS)
                        .build())
                .orElse(null);
        if (controllerChannel != null) {
            this.discovery = DestinationDiscovery.builder(controllerChannel).normalizer(normalizer).build();
        } else {
            this.discovery = config.discoveryFile()
                    .map(f -> (DiscoverySource) StaticFileDiscovery.builder(f).normalizer(normalizer).build())
                    .orElse(null);
        }
        this.outboundRouter = new OutboundRouter(discovery, normalizer, ticker);
        // Service profiles come from the controller only (a discovery file has none): outbound per
        // destination, inbound the profile of the service this workload registers as.
        this.profileDiscovery = controllerChannel == null ? null
                : io.meshj.core.discovery.ProfileDiscovery.builder(controllerChannel).normalizer(normalizer).build();
        this.profiles = profileDiscovery == null ? io.meshj.proxy.internal.route.RouteProfiles.NONE
                : new io.meshj.proxy.internal.route.RouteProfiles(profileDiscovery::watch, profileDiscovery::normalize,
                        metrics.routes(), config.register().orElse(null), ticker);
        this.identityChannel = config.identity()
                .map(a -> (ManagedChannel) controllerChannel(a, controllerCredentials)
                        .eventLoopGroup(group)
                        .channelType(transport.socketChannel())
                        .build())
                .orElse(null);
        this.control = identityChannel != null || config.register().isPresent() || config.registerClient()
                ? new io.netty.util.concurrent.DefaultEventExecutor(new io.netty.util.concurrent.DefaultThreadFactory("meshj-identity", true))
                : null;
        this.tls = identityChannel == null ? null : ProxyTls.start(
                new WorkloadIdentity(config.serviceAccount(), config.namespace(), config.trustDomain()),
                config.identityTokenFile().orElseThrow(), anchors, identityChannel, control);
        if (tls != null) {
            metrics.identity(tls.certifier());
        }
        metrics.tap(tapBus);
        UpstreamConnector connector = new UpstreamConnector(transport, resolver, config.connectTimeout(),
                config.maxHeaderBytes(), upstreams, tls);
        java.util.Map<String, String> labels = workloadLabels(config);
        this.outboundContext = context(Direction.OUTBOUND, outboundRouter, connector, labels);
        this.inboundContext = context(Direction.INBOUND, new InboundRouter(config.appPorts()), connector, labels);
    }

    private ProxyContext context(Direction direction, io.meshj.proxy.internal.route.Router router,
            UpstreamConnector connector, java.util.Map<String, String> labels) {
        return ProxyContext.builder(direction)
                .router(router)
                .profiles(profiles)
                .upstreams(connector)
                .config(config)
                .metrics(metrics)
                .tap(tapBus, labels)
                .lifecycle(lifecycle)
                .ticker(ticker)
                .resetBudget(resetBudget)
                .build();
    }

    /**
     * What this proxy's workload is, as labels (the tap side that is this workload): namespace and pod,
     * its service account, and the service it registers as (which the local registry also groups
     * deployments by).
     */
    private static java.util.Map<String, String> workloadLabels(ProxyConfig config) {
        java.util.Map<String, String> labels = new java.util.LinkedHashMap<>();
        labels.put("namespace", config.namespace());
        labels.put("pod", config.workloadName());
        labels.put("serviceaccount", config.serviceAccount());
        config.register().ifPresent(service -> {
            String name = service.host().split("\\.")[0];
            labels.put("service", name);
            labels.put("deployment", config.deployment().orElse(name));
        });
        return labels;
    }

    /** The controller's identity: the configured one, else the default controller name in the trust domain. */
    private static WorkloadIdentity controllerIdentity(ProxyConfig config) {
        return config.controllerIdentity().map(WorkloadIdentity::parseDnsName)
                .orElseGet(() -> new WorkloadIdentity("controller", "meshj", config.trustDomain()));
    }

    /** TLS checked against the controller's identity, when one is configured; else null (plaintext). */
    private static io.grpc.ChannelCredentials controllerCredentials(ProxyConfig config,
            java.util.List<java.security.cert.X509Certificate> anchors) {
        return config.controllerIdentity().map(name -> io.meshj.tls.MeshGrpcCredentials.channel(
                        (io.meshj.tls.RotatingKeyManager) null, anchors,
                        io.meshj.tls.MeshTrustManager.IdentityPolicy.exactly(WorkloadIdentity.parseDnsName(name))))
                .orElse(null);
    }

    private static NettyChannelBuilder controllerChannel(io.meshj.core.name.Authority a, io.grpc.ChannelCredentials tls) {
        return tls == null ? NettyChannelBuilder.forAddress(a.host(), a.port()).usePlaintext()
                : NettyChannelBuilder.forAddress(a.host(), a.port(), tls);
    }

    /**
     * Binds the listeners and the admin server and returns the running proxy. Blocks until bound.
     *
     * @throws io.meshj.core.ConfigException if the discovery file is missing or invalid
     * @throws IllegalStateException if a listener cannot bind (the message names the address)
     */
    public static MeshProxy start(ProxyConfig config) {
        MeshProxy proxy = new MeshProxy(requireNonNull(config, "config"));
        try {
            proxy.bind();
        } catch (RuntimeException e) {
            proxy.closeNow();
            throw e;
        }
        return proxy;
    }

    private void bind() {
        if (transport == Transport.EPOLL) {
            // Loads libc through JNA now rather than on the first connection's event loop (and says so
            // at start, not mid-traffic, when it cannot).
            OriginalDestination.isAvailable();
        } else {
            LOG.log(System.Logger.Level.INFO, "the NIO transport cannot read original destinations (SO_ORIGINAL_DST):"
                    + " connections iptables redirects here route by their names only");
        }
        // Bounds before the first connection: how many the heap is sized for, and refusal while the old
        // generation's live set is near its maximum (checked twice a second, a cheap MXBean read).
        io.meshj.proxy.internal.HeapGuard heap = io.meshj.proxy.internal.HeapGuard.forThisJvm();
        lifecycle.limits(config.maxConnections(), heap);
        group.next().scheduleAtFixedRate(() -> {
            boolean was = heap.getAsBoolean();
            if (heap.check() != was) {
                LOG.log(heap.getAsBoolean() ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                        heap.getAsBoolean() ? "heap live set above 85 % of the old generation: refusing new connections"
                                + " and requests" : "heap live set below 70 %: taking new work again");
            }
        }, 500, 500, TimeUnit.MILLISECONDS);
        boolean inboundOpaque = !config.appPorts().isEmpty() && config.opaquePorts().contains(config.appPorts().get(0));
        outboundServer = bind(config.outboundListen(), "outbound",
                new ListenerInitializer(outboundContext, downstreams, false, config.outboundTcpTarget().orElse(null), null));
        inboundServer = bind(config.inboundListen(), "inbound",
                new ListenerInitializer(inboundContext, downstreams, inboundOpaque, null, tls));
        adminServer = bind(config.adminListen(), "admin", new AdminServer(this::isReady, metrics::scrape, this::shutdown,
                () -> tls == null ? null : tls.certifier().current().map(io.meshj.tls.CertifiedKey::describe).orElse(null)));
        tapServer = io.meshj.proxy.internal.tap.TapServer.start(config.tapListen(), tapBus, transport, group, tls,
                trustAnchors, controllerIdentity(config));
        java.util.List<InetSocketAddress> own = java.util.List.of(outboundAddress(), inboundAddress(), adminAddress(),
                tapAddress());
        lifecycle.setListeners(own);
        ready = true;
        // Series of endpoints that went away with their pods are dropped after a while, or churn
        // would grow the registry (and every scrape) for as long as the proxy runs.
        group.next().scheduleAtFixedRate(metrics::expireIdle, 1, 1, TimeUnit.MINUTES);
        Workload.Builder registration = null;
        if (config.register().isPresent()) {
            io.meshj.core.name.Authority service = config.register().get();
            String[] parts = service.host().split("\\.");
            registration = Workload.newBuilder().setNamespace(parts[1]).setService(parts[0]).setPort(service.port())
                    .setProtocolHint(ProtocolHint.PROTOCOL_HINT_H2).setInboundPort(inboundAddress().getPort());
        } else if (config.registerClient()) {
            registration = Workload.newBuilder().setNamespace(config.namespace()).setService("").setPort(0); // no endpoint
        }
        if (registration != null) {
            registrar = new Registrar(controllerChannel, control, registration
                    .setName(config.workloadName()).setAddress(config.registerAddress()).setServiceAccount(config.serviceAccount())
                    .setTlsIdentity(tls == null ? "" : tls.identity().dnsName())
                    .setAdminPort(adminAddress().getPort()).setTapPort(tapAddress().getPort())
                    .putAllLabels(config.deployment().map(d -> java.util.Map.of("deployment", d)).orElse(java.util.Map.of()))
                    .build(),
                    () -> ProxyTls.readToken(config.identityTokenFile().orElseThrow()),
                    ExponentialBackoff.builder().min(Duration.ofMillis(200)).max(Duration.ofSeconds(10)).build());
            registrar.start();
        }
        LOG.log(System.Logger.Level.INFO, "meshj proxy ready ({0}): outbound {1}, inbound {2}, admin {3}, tap {4}",
                transport, outboundAddress(), inboundAddress(), adminAddress(), tapAddress());
    }

    private Channel bind(InetSocketAddress address, String name, ChannelInitializer<Channel> initializer) {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(initializer);
        try {
            return b.bind(address).sync().channel();
        } catch (Exception e) {
            throw new IllegalStateException("cannot bind the " + name + " listener to " + address + ": " + e.getMessage(), e);
        }
    }

    public ProxyConfig config() {
        return config;
    }

    /** The address the outbound listener is bound to (with the actual port if 0 was configured). */
    public InetSocketAddress outboundAddress() {
        return (InetSocketAddress) outboundServer.localAddress();
    }

    public InetSocketAddress inboundAddress() {
        return (InetSocketAddress) inboundServer.localAddress();
    }

    public InetSocketAddress adminAddress() {
        return (InetSocketAddress) adminServer.localAddress();
    }

    /** Where the tap server listens. */
    public InetSocketAddress tapAddress() {
        return tapServer.address();
    }

    /** Where this proxy publishes the requests it handles, for in-process tap subscribers. */
    public io.meshj.core.tap.TapBus tapBus() {
        return tapBus;
    }

    /**
     * True from the end of start until shutdown begins and, when the proxy has an identity, while it
     * holds a certificate that has not ended (without one, no meshed peer could talk to it).
     */
    public boolean isReady() {
        return ready && (tls == null || tls.certifier().hasValidCertificate());
    }

    /** The workload certificate's manager, when the proxy has an identity. */
    public java.util.Optional<WorkloadCertifier> certifier() {
        return java.util.Optional.ofNullable(tls).map(ProxyTls::certifier);
    }

    /** The proxy's counters (also served at admin {@code /metrics}). */
    ProxyMetrics metrics() {
        return metrics;
    }

    /**
     * Begins a graceful shutdown, once: readiness turns off, listeners stop accepting, HTTP/2 clients get
     * GOAWAY, idle HTTP/1 connections close and busy ones close after their response, and after the last
     * connection (or the grace period) everything is closed. Returns at once; see
     * {@link #terminationFuture()}.
     */
    public void shutdown() {
        if (!shuttingDown.compareAndSet(false, true)) {
            return;
        }
        ready = false;
        Registrar r = registrar;
        if (r != null) {
            r.close(); // leave the registry now: callers stop picking this endpoint while it drains
        }
        lifecycle.startDraining();
        Thread t = new Thread(this::drain, "meshj-shutdown");
        t.setDaemon(true);
        t.start();
    }

    private void drain() {
        try {
            LOG.log(System.Logger.Level.INFO, "meshj proxy draining for up to {0} s", config.shutdownGracePeriod().toSeconds());
            closeQuietly(outboundServer);
            closeQuietly(inboundServer);
            for (Channel ch : downstreams) {
                // Each protocol's handler ends its connection as the protocol allows (HTTP/2: GOAWAY).
                ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE));
            }
            long deadline = System.nanoTime() + config.shutdownGracePeriod().toNanos();
            while (System.nanoTime() - deadline < 0 && (!downstreams.isEmpty() || lifecycle.inFlight() > 0)) {
                Thread.sleep(50); // a dedicated shutdown thread polling a counter; no event loop waits
            }
            closeNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeNow();
        }
    }

    private void closeNow() {
        ready = false;
        closeQuietly(outboundServer);
        closeQuietly(inboundServer);
        closeQuietly(adminServer);
        if (tapServer != null) {
            tapServer.close();
        }
        downstreams.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        upstreams.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        outboundRouter.close();
        profiles.close();
        if (profileDiscovery != null) {
            profileDiscovery.close();
        }
        if (tls != null) {
            tls.close();
        }
        if (identityChannel != null) {
            identityChannel.shutdownNow();
        }
        if (control != null) {
            control.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        }
        if (discovery != null) {
            discovery.close();
        }
        if (controllerChannel != null) {
            // Gracefully, for a moment: the deregistration sent when the drain began may still be out.
            controllerChannel.shutdown();
            try {
                if (!controllerChannel.awaitTermination(2, TimeUnit.SECONDS)) {
                    controllerChannel.shutdownNow();
                }
            } catch (InterruptedException e) {
                controllerChannel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        resolver.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).addListener(f -> terminated.complete(null));
    }

    private static void closeQuietly(Channel ch) {
        if (ch != null) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** Completes when the proxy has fully stopped. */
    public CompletableFuture<Void> terminationFuture() {
        return terminated;
    }

    /** Shuts down and waits for termination (at most the grace period plus a few seconds). */
    @Override
    public void close() {
        shutdown();
        terminated.orTimeout(config.shutdownGracePeriod().plus(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(e -> null)
                .join();
    }
}
