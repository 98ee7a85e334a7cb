package io.meshj.controller.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshj.controller.Controller;
import io.meshj.controller.destination.ProfileDirectory;
import io.meshj.controller.destination.ProfileSource;
import io.meshj.controller.identity.IdentityService;
import io.meshj.controller.identity.LocalIdentityStore;
import io.meshj.controller.identity.KubernetesTokenReviewer;
import io.meshj.controller.identity.LocalTokens;
import io.meshj.controller.metrics.MetricsScraper;
import io.meshj.controller.metrics.MetricsService;
import io.meshj.controller.metrics.ScrapeTargets;
import io.meshj.controller.tap.TapBroker;
import io.meshj.controller.tap.TapTargets;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.WorkloadIdentity;
import java.time.Clock;
import io.meshj.controller.kubernetes.KubernetesDiscovery;
import io.meshj.controller.kubernetes.KubernetesProfiles;
import io.meshj.controller.registry.LocalRegistry;
import io.meshj.controller.registry.RegistryService;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.StaticFileDiscovery;
import io.meshj.core.discovery.UnionDiscovery;
import io.meshj.core.time.Ticker;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.name.InvalidAuthorityException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code meshj controller}: runs the control plane on the local registry: workloads that register
 * (with leases, persisted in the data directory) and static entries (the discovery file format the
 * proxy reads); or, given a kubeconfig, on the Kubernetes cluster it names.
 */
@Command(name = "controller", mixinStandardHelpOptions = true,
        description = "Run the control plane (destination service) on the local registry or a Kubernetes cluster.")
final class ControllerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--local", description = "Use the local registry even if a kubeconfig is present.")
    boolean local;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "Serve the cluster of this kubeconfig (default: $KUBECONFIG, else ~/.kube/config if present;"
                    + " without one, the local registry).")
    Path kubeconfig;

    @Option(names = "--context", description = "The kubeconfig context to use (default: its current context).")
    String context;

    @Option(names = "--in-cluster", description = "Serve the cluster this controller runs in, with its pod's service"
            + " account (what meshj install runs).")
    boolean inCluster;

    @Option(names = "--webhook-listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:8443",
            description = "Address of the injector webhook, on Kubernetes with --webhook-tls-dir (default: ${DEFAULT-VALUE}).")
    String webhookListen;

    @Option(names = "--webhook-tls-dir", paramLabel = "DIR",
            description = "tls.crt and tls.key of the injector webhook (a mounted kubernetes.io/tls Secret); serves"
                    + " the webhook on Kubernetes.")
    Path webhookTlsDir;

    @Option(names = "--proxy-image", paramLabel = "IMAGE", defaultValue = io.meshj.controller.inject.InjectOptions.DEFAULT_IMAGE,
            description = "The proxy image the webhook injects, without tag (default: ${DEFAULT-VALUE}).")
    String proxyImage;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "State directory (default: $MESHJ_HOME, else ~/.meshj).")
    Path dataDir;

    @Option(names = "--static", paramLabel = "FILE",
            description = "Static registry entries, YAML services -> endpoints, re-read when it changes"
                    + " (default: <data-dir>/static.yml if present).")
    Path staticFile;

    @Option(names = "--profiles", paramLabel = "DIR",
            description = "Service profiles (ServiceProfile documents, one per *.yml, *.yaml or *.json file), re-read"
                    + " when they change (default: <data-dir>/profiles). Local registry only; on Kubernetes they are"
                    + " ServiceProfile resources.")
    Path profilesDir;

    @Option(names = "--destination-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8086",
            description = "Address of the destination service (default: ${DEFAULT-VALUE}).")
    String destinationListen;

    @Option(names = "--certificate-lifetime", paramLabel = "DURATION", defaultValue = "24h",
            description = "Lifetime of the workload certificates the identity service issues, 10s to 30d"
                    + " (default: ${DEFAULT-VALUE}); workloads renew at 70 %% of it.")
    String certificateLifetime;

    @Option(names = "--scrape-interval", paramLabel = "DURATION", defaultValue = "10s",
            description = "How often the metrics API scrapes the proxies it knows, for meshj stat (default: ${DEFAULT-VALUE}).")
    String scrapeInterval;

    @Option(names = "--tls",
            description = "Serve both APIs over TLS 1.3 with the controller's own certificate, identity"
                    + " controller.meshj.serviceaccount.identity.meshj.<trust-domain> (proxies: --controller-identity)."
                    + " Default: off (meshj diagnostics and check speak plaintext only, so far).")
    boolean tls;

    @Option(names = "--identity-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
            description = "Address of the identity service (default: ${DEFAULT-VALUE}).")
    String identityListen;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress listen = listenAddress(destinationListen, "--destination-listen");
        Path dir = dataDir != null ? dataDir : defaultDataDir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "--data-dir " + dir + ": cannot create it: " + e.getMessage(), e,
                    null, null);
        }
        Path entries = staticFile != null ? staticFile : dir.resolve("static.yml");
        if (staticFile != null && !Files.isRegularFile(staticFile)) {
            throw new ParameterException(spec.commandLine(), "--static " + staticFile + ": no such file");
        }
        if (profilesDir != null && !Files.isDirectory(profilesDir)) {
            throw new ParameterException(spec.commandLine(), "--profiles " + profilesDir + ": "
                    + (Files.exists(profilesDir) ? "not a directory" : "no such directory"));
        }
        AuthorityNormalizer normalizer = AuthorityNormalizer.defaults();
        if (inCluster) {
            if (local || kubeconfig != null) {
                throw new ParameterException(spec.commandLine(), "--in-cluster is a backend of its own: leave out --local and --kubeconfig");
            }
            if (profilesDir != null) {
                throw new ParameterException(spec.commandLine(), "--profiles " + profilesDir
                        + ": on Kubernetes, profiles are ServiceProfile resources; use --local for a directory");
            }
            return runOnKubernetes(Config.autoConfigure(null), "in-cluster", listen, normalizer, dir);
        }
        Path cluster = kubeconfig();
        if (cluster != null) {
            if (profilesDir != null) {
                throw new ParameterException(spec.commandLine(), "--profiles " + profilesDir
                        + ": on Kubernetes, profiles are ServiceProfile resources; use --local for a directory");
            }
            return runOnKubernetes(Config.fromKubeconfig(context, cluster.toFile()), "kubeconfig " + cluster
                    + (context == null ? "" : ", context " + context), listen, normalizer, dir);
        }
        LocalRegistry registry = LocalRegistry.open(dir.resolve("registry.json"), Ticker.system(), normalizer);
        boolean hasStatic = Files.isRegularFile(entries);
        DiscoverySource backend = hasStatic
                ? new UnionDiscovery(StaticFileDiscovery.builder(entries).normalizer(normalizer).build(), registry)
                : registry;
        // The identity issuer of the local mode: made on the first start, then kept (every workload trusts
        // its anchor); meshj identity init makes it ahead of time, or a user puts their own files there.
        LocalIdentityStore identity = new LocalIdentityStore(dir);
        if (!identity.exists()) {
            identity.init(WorkloadIdentity.DEFAULT_TRUST_DOMAIN, Clock.systemUTC());
        }
        LocalTokens tokens = identity.tokens(Clock.systemUTC());
        IdentityService identityService = new IdentityService(
                identity.ca(Clock.systemUTC(), leafLifetime()),
                tokens, WorkloadIdentity.DEFAULT_TRUST_DOMAIN);
        // meshj stat without Prometheus: every registered proxy's admin /metrics, scraped for a window.
        ProfileDirectory profiles = ProfileDirectory.open(profilesDir != null ? profilesDir : dir.resolve("profiles"));
        MetricsScraper scraper = startScraper(() -> ScrapeTargets.of(registry));
        Controller.Builder builder = Controller.builder().destinationListen(listen).backend(backend).normalizer(normalizer)
                .profiles(profiles)
                .service(new RegistryService(registry, tokens, WorkloadIdentity.DEFAULT_TRUST_DOMAIN).bindService())
                .service(new MetricsService(scraper, profiles::current, normalizer.clusterDomain()).bindService())
                .identity(listenAddress(identityListen, "--identity-listen"), identityService.bindService());
        // The controller's own certificate: its identity is the only one workloads' tap servers serve.
        ControllerCertificate certificate = ControllerCertificate.start(identity);
        builder.service(new TapBroker(() -> TapTargets.of(registry),
                TapBroker.channels(certificate.certifier(), certificate.trustAnchors())).bindService());
        String tlsNote = "";
        if (tls) {
            builder.tls(certificate.serverCredentials());
            tlsNote = ", TLS as " + ControllerCertificate.IDENTITY.dnsName();
        }
        Controller controller = builder.start();
        // Every second: leases that ran out are swept, and changes are written to the data directory.
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meshj-registry-expiry");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                profiles.poll();
                registry.expire();
                registry.flush();
            } catch (RuntimeException e) {
                // A full disk must not stop the sweeping; the next round tries the write again.
                System.getLogger(ControllerCommand.class.getName()).log(System.Logger.Level.WARNING, e.getMessage());
            }
        }, 1, 1, TimeUnit.SECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sweeper.shutdownNow();
            controller.close();
        }, "meshj-controller-shutdown"));
        spec.commandLine().getOut().printf("meshj controller ready: destination and registry %s, identity %s,"
                + " local registry in %s (%d workloads), profiles from %s (%d)%s%n", controller.destinationAddress(),
                controller.identityAddress().orElseThrow() + tlsNote, dir, registry.size(), profiles.directory(),
                profiles.size(),
                hasStatic ? ", static entries from " + entries : "");
        spec.commandLine().getOut().flush();
        controller.awaitTermination();
        return 0;
    }

    /** The metrics API's scraper of {@code targets}, every --scrape-interval, keeping two minutes. */
    private MetricsScraper startScraper(java.util.function.Supplier<java.util.Collection<MetricsScraper.Target>> targets) {
        MetricsScraper scraper = new MetricsScraper(targets, duration(scrapeInterval, "--scrape-interval"),
                java.time.Duration.ofMinutes(2), Ticker.system());
        scraper.start(Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meshj-metrics-scraper");
            t.setDaemon(true);
            return t;
        }));
        return scraper;
    }

    private java.time.Duration duration(String value, String option) {
        try {
            java.time.Duration d = io.meshj.core.time.Durations.parse(value);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("must be positive");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), option + " " + value + ": " + e.getMessage());
        }
    }

    private java.time.Duration leafLifetime() {
        java.time.Duration d;
        try {
            d = io.meshj.core.time.Durations.parse(certificateLifetime);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--certificate-lifetime " + certificateLifetime + ": " + e.getMessage());
        }
        if (d.compareTo(java.time.Duration.ofSeconds(10)) < 0 || d.compareTo(java.time.Duration.ofDays(30)) > 0) {
            throw new ParameterException(spec.commandLine(), "--certificate-lifetime " + certificateLifetime
                    + ": must be between 10s and 30d");
        }
        return d;
    }

    /** The kubeconfig to serve, or null for the local registry. */
    private Path kubeconfig() {
        return kubeconfig(spec.commandLine(), local, kubeconfig);
    }

    /**
     * The kubeconfig a command works on: {@code given}, else $KUBECONFIG, else ~/.kube/config if it
     * exists; null when there is none or {@code local} is set.
     */
    static Path kubeconfig(picocli.CommandLine cli, boolean local, Path given) {
        if (local && given != null) {
            throw new ParameterException(cli, "--local and --kubeconfig are two backends: give one");
        }
        if (local) {
            return null;
        }
        if (given != null) {
            if (!Files.isRegularFile(given)) {
                throw new ParameterException(cli, "--kubeconfig " + given + ": no such file");
            }
            return given;
        }
        String env = System.getenv("KUBECONFIG");
        Path found = env != null && !env.isBlank() ? Path.of(env.split(java.io.File.pathSeparator)[0])
                : Path.of(System.getProperty("user.home"), ".kube", "config");
        return Files.isRegularFile(found) ? found : null;
    }

    private Integer runOnKubernetes(Config config, String where, InetSocketAddress listen, AuthorityNormalizer normalizer,
            Path dir) throws InterruptedException {
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        KubernetesDiscovery backend;
        try {
            backend = KubernetesDiscovery.start(client, normalizer);
        } catch (KubernetesClientException e) {
            client.close();
            throw new IllegalArgumentException("cannot watch the cluster (" + where + "): " + e.getMessage(), e);
        }
        ProfileSource profiles;
        try {
            profiles = KubernetesProfiles.start(client, normalizer.clusterDomain());
        } catch (KubernetesClientException e) {
            // Endpoints still work without profiles; meshj check reports the missing CRD.
            spec.commandLine().getErr().println("meshj: serving default profiles: cannot watch ServiceProfiles ("
                    + e.getMessage() + ")");
            profiles = ProfileSource.NONE;
        }
        // The issuer comes from the data directory here too (made on first start); workloads prove who
        // they are with projected service-account tokens, checked by TokenReviews.
        LocalIdentityStore identity = new LocalIdentityStore(dir);
        if (!identity.exists()) {
            identity.init(WorkloadIdentity.DEFAULT_TRUST_DOMAIN, Clock.systemUTC());
        }
        IdentityService identityService = new IdentityService(
                identity.ca(Clock.systemUTC(), leafLifetime()),
                new KubernetesTokenReviewer(client), WorkloadIdentity.DEFAULT_TRUST_DOMAIN);
        Controller controller;
        try {
            MetricsScraper scraper = startScraper(() -> ScrapeTargets.of(backend));
            ControllerCertificate certificate = ControllerCertificate.start(identity);
            Controller.Builder builder = Controller.builder().destinationListen(listen).backend(backend)
                    .normalizer(normalizer).profiles(profiles)
                    .service(new MetricsService(scraper, profiles::current, normalizer.clusterDomain()).bindService())
                    .service(new TapBroker(() -> TapTargets.of(backend),
                            TapBroker.channels(certificate.certifier(), certificate.trustAnchors())).bindService())
                    .identity(listenAddress(identityListen, "--identity-listen"), identityService.bindService());
            if (tls) {
                builder.tls(certificate.serverCredentials());
            }
            controller = builder.start();
        } catch (RuntimeException e) {
            backend.close();
            profiles.close();
            client.close();
            throw e;
        }
        io.meshj.controller.inject.WebhookServer webhook = webhookTlsDir == null ? null : startWebhook(client, identity);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (webhook != null) {
                webhook.close();
            }
            controller.close();
            client.close();
        }, "meshj-controller-shutdown"));
        spec.commandLine().getOut().printf("meshj controller ready: destination %s, identity %s%s%s, Kubernetes %s (%s)%n",
                controller.destinationAddress(), controller.identityAddress().orElseThrow(),
                tls ? ", TLS as " + ControllerCertificate.IDENTITY.dnsName() : "",
                webhook == null ? "" : ", injector webhook " + webhook.address(),
                config.getMasterUrl(), where);
        spec.commandLine().getOut().flush();
        controller.awaitTermination();
        return 0;
    }

    /**
     * The injector webhook: it injects proxies configured for this control plane (its trust anchor),
     * reading namespaces' opt-in annotations through a short cache (a burst of pods asks once).
     */
    private io.meshj.controller.inject.WebhookServer startWebhook(KubernetesClient client, LocalIdentityStore identity) {
        String anchors;
        try {
            anchors = Files.readString(identity.dir().resolve(LocalIdentityStore.ANCHOR));
        } catch (IOException e) {
            throw new IllegalArgumentException(identity.dir().resolve(LocalIdentityStore.ANCHOR) + ": cannot read it: "
                    + e.getMessage(), e);
        }
        com.github.benmanes.caffeine.cache.LoadingCache<String, Map<String, String>> namespaces =
                com.github.benmanes.caffeine.cache.Caffeine.newBuilder()
                        .expireAfterWrite(java.time.Duration.ofSeconds(10)).maximumSize(10_000)
                        .build(ns -> {
                            io.fabric8.kubernetes.api.model.Namespace n = client.namespaces().withName(ns).get();
                            return n == null || n.getMetadata().getAnnotations() == null ? Map.of()
                                    : Map.copyOf(n.getMetadata().getAnnotations());
                        });
        io.meshj.controller.inject.Injector injector = new io.meshj.controller.inject.Injector(
                io.meshj.controller.inject.InjectOptions.defaults(io.meshj.core.MeshVersion.current(), anchors).withImage(proxyImage));
        return io.meshj.controller.inject.WebhookServer.start(listenAddress(webhookListen, "--webhook-listen"),
                webhookTlsDir, new io.meshj.controller.inject.InjectionWebhook(injector, ns -> {
                    try {
                        return namespaces.get(ns);
                    } catch (RuntimeException e) {
                        return Map.of(); // the API cannot be asked: only pods that opt in themselves are injected
                    }
                }));
    }

    private InetSocketAddress listenAddress(String value, String option) {
        // Port 0 (any free port) is fine for a listener, though not for an authority.
        boolean anyPort = value.endsWith(":0");
        Authority a;
        try {
            a = Authority.parse(anyPort ? value.substring(0, value.length() - 2) + ":1" : value);
        } catch (InvalidAuthorityException e) {
            throw new ParameterException(spec.commandLine(), option + " " + value + ": " + e.getMessage());
        }
        if (!a.hasPort()) {
            throw new ParameterException(spec.commandLine(), option + " " + value + ": a port is required");
        }
        return new InetSocketAddress(a.host(), anyPort ? 0 : a.port());
    }

    static Path defaultDataDir() {
        String home = System.getenv("MESHJ_HOME");
        return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".meshj");
    }

}
