package io.meshj.core.discovery;

import static java.util.Objects.requireNonNull;

import io.grpc.SynchronizationContext;
import io.meshj.core.ConfigException;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.internal.YamlNode;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.name.InvalidAuthorityException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Discovery from a YAML file of services and their endpoints, re-read when it changes:
 *
 * <pre>
 * services:
 *   web-svc.emojivoto:8080:
 *     - 127.0.0.1:8081                       # shorthand: an address with defaults
 *     - address: 127.0.0.1:8082
 *       weight: 20000                        # default 10000
 *       identity: web.emojivoto.serviceaccount.identity.meshj.cluster.local
 *       protocol: h2                         # h2 | opaque | unknown (default)
 *       inboundPort: 4143                    # meshed: the proxy in front of it on the same host
 *       labels: {pod: web-2}
 *   emoji-svc.emojivoto:8080: []             # known service, no endpoints right now
 * </pre>
 *
 * <p>Service names are normalised (see {@link AuthorityNormalizer}), so the file and its clients may
 * use any spelling of a cluster-local name. The file is polled (default every second) rather than
 * watched with inotify because editors and config-map mounts replace files by rename, which inotify
 * watches of the file itself miss; reading a small file once a second costs nothing. A change is
 * applied when two consecutive polls agree on it, so a file being written in place is never read
 * half-way.
 *
 * <p>A file that cannot be read or parsed is rejected as a whole: watchers keep the last good state,
 * the problem is logged once with its line and field, and {@link #lastError()} reports it until a good
 * version arrives. The first load happens in {@link Builder#build()}, which throws instead.
 *
 * <p>Threading: all state changes and listener calls run in one {@link SynchronizationContext}, so a
 * watch's updates are ordered and never concurrent; a {@link #watch} delivers the current state before
 * it returns unless another thread is delivering at that moment.
 */
public final class StaticFileDiscovery implements DiscoverySource {

    private static final System.Logger LOG = System.getLogger(StaticFileDiscovery.class.getName());
    private static final Set<String> ROOT_FIELDS = Set.of("services");
    private static final Set<String> ENDPOINT_FIELDS = Set.of("address", "weight", "identity", "protocol", "labels", "inboundPort");

    private final Path file;
    private final AuthorityNormalizer normalizer;
    private final SynchronizationContext syncContext = new SynchronizationContext(
            (thread, e) -> LOG.log(System.Logger.Level.ERROR, "discovery listener failed", e));
    private final ScheduledExecutorService ownedScheduler;
    private final ScheduledFuture<?> poll;

    // Guarded by syncContext.
    private Map<Authority, EndpointSet> services;
    private final Map<Authority, List<WatchImpl>> watches = new HashMap<>();

    // Written under this object's monitor by reload() and poll(); volatile for lastError() readers.
    private volatile byte[] lastContent;
    private byte[] pendingContent;
    private volatile ConfigException lastError;
    private volatile boolean closed;

    private StaticFileDiscovery(Builder b, byte[] content, Map<Authority, EndpointSet> initial) {
        this.file = b.file;
        this.normalizer = b.normalizer;
        this.lastContent = content;
        this.services = initial;
        if (b.reloadInterval.isZero()) {
            this.ownedScheduler = null;
            this.poll = null;
        } else {
            ScheduledExecutorService scheduler = b.scheduler;
            if (scheduler == null) {
                this.ownedScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "meshj-static-discovery");
                    t.setDaemon(true);
                    return t;
                });
                scheduler = ownedScheduler;
            } else {
                this.ownedScheduler = null;
            }
            long period = b.reloadInterval.toNanos();
            this.poll = scheduler.scheduleWithFixedDelay(this::poll, period, period, TimeUnit.NANOSECONDS);
        }
    }

    /** A source reading {@code file}; see {@link Builder} for the options. */
    public static Builder builder(Path file) {
        return new Builder(file);
    }

    @Override
    public Watch watch(Authority authority, DiscoveryListener listener) {
        requireNonNull(authority, "authority");
        requireNonNull(listener, "listener");
        Authority key = normalizer.normalize(authority);
        WatchImpl watch = new WatchImpl(key, listener);
        syncContext.execute(() -> {
            if (closed || watch.closed) {
                return;
            }
            watches.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(watch);
            watch.deliver(services.getOrDefault(key, EndpointSet.empty()).asInitialUpdate());
        });
        return watch;
    }

    /**
     * Re-reads the file now and, when its content changed and parses, sends watchers the differences.
     * Tests and admin endpoints call it; the poller uses a variant that waits for the file to settle.
     *
     * @return true when a new version was applied
     */
    public synchronized boolean reload() {
        if (closed) {
            return false;
        }
        byte[] content;
        try {
            content = read(file);
        } catch (ConfigException e) {
            reject(e);
            return false;
        }
        return apply(content);
    }

    /**
     * The poller's reload: a new content is applied only once two consecutive polls read it, so a file
     * caught halfway through an in-place write is never applied, even when the half happens to parse.
     * (Files replaced by rename, as Kubernetes and most editors do, are never seen half-written; for
     * them this costs one poll interval.)
     */
    private synchronized void poll() {
        try {
            if (closed) {
                return;
            }
            byte[] content = read(file);
            if (!Arrays.equals(content, lastContent) && !Arrays.equals(content, pendingContent)) {
                pendingContent = content; // changed: apply when the next poll reads the same
                return;
            }
            pendingContent = null;
            apply(content);
        } catch (ConfigException e) {
            reject(e);
        } catch (Throwable t) {
            // Anything escaping a scheduled task would silently cancel all future polls.
            LOG.log(System.Logger.Level.ERROR, "polling " + file + " failed; will retry", t);
        }
    }

    /** Applies {@code content} if it differs from the applied version and parses. Holds this monitor. */
    private boolean apply(byte[] content) {
        if (Arrays.equals(content, lastContent)) {
            // The file is back to the version being served (e.g. a bad edit was reverted).
            clearError();
            return false;
        }
        Map<Authority, EndpointSet> next;
        try {
            next = parse(file.getFileName().toString(), new String(content, StandardCharsets.UTF_8), normalizer);
        } catch (ConfigException e) {
            reject(e);
            return false;
        }
        lastContent = content;
        clearError();
        syncContext.execute(() -> publish(next));
        return true;
    }

    private void clearError() {
        if (lastError != null) {
            LOG.log(System.Logger.Level.INFO, "{0}: valid again", file);
            lastError = null;
        }
    }

    /** The reason the file's current content was rejected, if it was. */
    public Optional<ConfigException> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** The file this source reads. */
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        closed = true;
        if (poll != null) {
            poll.cancel(false);
        }
        if (ownedScheduler != null) {
            ownedScheduler.shutdownNow();
        }
        syncContext.execute(watches::clear);
    }

    private void publish(Map<Authority, EndpointSet> next) {
        Map<Authority, EndpointSet> previous = services;
        services = next;
        for (Map.Entry<Authority, List<WatchImpl>> e : watches.entrySet()) {
            EndpointSet before = previous.getOrDefault(e.getKey(), EndpointSet.empty());
            EndpointSet after = next.getOrDefault(e.getKey(), EndpointSet.empty());
            List<EndpointUpdate> updates = before.updatesTo(after);
            for (WatchImpl watch : e.getValue()) {
                updates.forEach(watch::deliver);
            }
        }
    }

    private void reject(ConfigException e) {
        ConfigException previous = lastError;
        lastError = e;
        if (previous == null || !previous.getMessage().equals(e.getMessage())) {
            LOG.log(System.Logger.Level.WARNING, "{0}; keeping the previous endpoints", e.getMessage());
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), 0, "", "file does not exist", e);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, "", "cannot read: " + e, e);
        }
    }

    /**
     * Parses the file format into normalised services. Package-private for tests.
     *
     * @throws ConfigException naming the line and field of the first problem
     */
    static Map<Authority, EndpointSet> parse(String source, String yaml, AuthorityNormalizer normalizer) {
        YamlNode root = YamlNode.parse(source, yaml);
        if (root.isNull()) {
            return Collections.emptyMap();
        }
        root.allowOnly(ROOT_FIELDS);
        Map<Authority, EndpointSet> services = new LinkedHashMap<>();
        Map<Authority, YamlNode> seenAt = new HashMap<>();
        for (Map.Entry<String, YamlNode> service : root.field("services").entries().entrySet()) {
            YamlNode node = service.getValue();
            Authority name;
            try {
                name = normalizer.normalize(Authority.parse(service.getKey()));
            } catch (InvalidAuthorityException e) {
                throw node.error(e.getMessage());
            }
            YamlNode earlier = seenAt.putIfAbsent(name, node);
            if (earlier != null) {
                throw node.error("the same service as " + earlier.path() + " on line " + earlier.line()
                        + " (both are " + name + ")");
            }
            List<Endpoint> endpoints = new ArrayList<>();
            Set<Authority> addresses = new HashSet<>();
            for (YamlNode item : node.items()) {
                Endpoint endpoint = parseEndpoint(item);
                if (!addresses.add(endpoint.address())) {
                    throw item.error("duplicate endpoint " + endpoint.address());
                }
                endpoints.add(endpoint);
            }
            services.put(name, endpoints.isEmpty()
                    ? EndpointSet.empty().apply(new EndpointUpdate.NoEndpoints(true))
                    : EndpointSet.of(endpoints));
        }
        return Collections.unmodifiableMap(services);
    }

    private static Endpoint parseEndpoint(YamlNode item) {
        if (item.isScalar()) {
            return Endpoint.of(address(item));
        }
        item.allowOnly(ENDPOINT_FIELDS);
        Endpoint.Builder b = Endpoint.builder(address(item.required("address")));
        YamlNode weight = item.field("weight");
        if (!weight.isNull()) {
            b.weight(weight.asInt(1, Integer.MAX_VALUE));
        }
        YamlNode identity = item.field("identity");
        if (!identity.isNull()) {
            b.tlsIdentity(identity.asNonEmptyString());
        }
        YamlNode protocol = item.field("protocol");
        if (!protocol.isNull()) {
            String hint = protocol.asString().toLowerCase(Locale.ROOT);
            switch (hint) {
                case "h2":
                    b.protocolHint(ProtocolHint.H2);
                    break;
                case "opaque":
                    b.protocolHint(ProtocolHint.OPAQUE);
                    break;
                case "unknown":
                    b.protocolHint(ProtocolHint.UNKNOWN);
                    break;
                default:
                    throw protocol.error("\"" + protocol.asString() + "\" is not one of h2, opaque, unknown");
            }
        }
        YamlNode inboundPort = item.field("inboundPort");
        if (!inboundPort.isNull()) {
            b.inboundPort(inboundPort.asInt(1, 65535));
        }
        for (Map.Entry<String, YamlNode> label : item.field("labels").entries().entrySet()) {
            b.label(label.getKey(), label.getValue().asString());
        }
        return b.build();
    }

    private static Authority address(YamlNode node) {
        Authority address;
        try {
            address = Authority.parse(node.asNonEmptyString());
        } catch (InvalidAuthorityException e) {
            throw node.error(e.getMessage());
        }
        if (!address.hasPort()) {
            throw node.error("endpoint address " + address + " needs a port");
        }
        return address;
    }

    private final class WatchImpl implements Watch {
        private final Authority key;
        private final DiscoveryListener listener;
        private volatile boolean closed;

        WatchImpl(Authority key, DiscoveryListener listener) {
            this.key = key;
            this.listener = listener;
        }

        void deliver(EndpointUpdate update) {
            if (closed) {
                return;
            }
            try {
                listener.onUpdate(update);
            } catch (RuntimeException e) {
                // One broken watcher must not cut the others off, nor leave them behind the state.
                LOG.log(System.Logger.Level.ERROR, "discovery listener for " + key + " failed", e);
            }
        }

        @Override
        public void close() {
            closed = true;
            syncContext.execute(() -> {
                List<WatchImpl> list = watches.get(key);
                if (list != null && list.remove(this) && list.isEmpty()) {
                    watches.remove(key);
                }
            });
        }
    }

    /** Builds a {@link StaticFileDiscovery}. */
    public static final class Builder {
        private final Path file;
        private AuthorityNormalizer normalizer = AuthorityNormalizer.defaults();
        private Duration reloadInterval = Duration.ofSeconds(1);
        private ScheduledExecutorService scheduler;

        private Builder(Path file) {
            this.file = requireNonNull(file, "file");
        }

        /** How service names (in the file and in watches) are normalised; default namespace {@code default}. */
        public Builder normalizer(AuthorityNormalizer normalizer) {
            this.normalizer = requireNonNull(normalizer, "normalizer");
            return this;
        }

        /** How often to look for changes; {@link Duration#ZERO} disables polling. Default 1 s. */
        public Builder reloadInterval(Duration reloadInterval) {
            requireNonNull(reloadInterval, "reloadInterval");
            if (reloadInterval.isNegative()) {
                throw new IllegalArgumentException("reloadInterval " + reloadInterval + " is negative");
            }
            this.reloadInterval = reloadInterval;
            return this;
        }

        /** Runs the poll on this scheduler instead of a thread of the source's own. */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * Reads and parses the file, then starts polling it.
         *
         * @throws ConfigException when the file cannot be read or is invalid
         */
        public StaticFileDiscovery build() {
            byte[] content = read(file);
            Map<Authority, EndpointSet> initial =
                    parse(file.getFileName().toString(), new String(content, StandardCharsets.UTF_8), normalizer);
            return new StaticFileDiscovery(this, content, initial);
        }
    }
}
