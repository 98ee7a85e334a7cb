package io.meshj.controller.registry;

import static java.util.Objects.requireNonNull;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import io.meshj.controller.internal.Watchers;
import io.meshj.core.ConfigException;
import io.meshj.core.discovery.DiscoveryListener;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.Watch;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.time.Ticker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Endpoints that workloads register with a lease, served as a {@link DiscoverySource}.
 *
 * <p>A registration names one endpoint of one service ({@code <service>.<namespace>} on a port) and
 * lasts for its time to live unless renewed; {@link #expire()} removes the registrations whose lease
 * ran out (the controller calls it every second), so a workload that dies leaves the mesh by itself.
 * Registering the same address and port again replaces the earlier registration.
 *
 * <p>A workload that serves nothing (a client: no service, port 0) registers too, so that the
 * controller knows it — scrapes its proxy for stat and edges, taps it — without making it an endpoint
 * of anything; registering the same name, namespace and address again replaces it.
 *
 * <p>Registrations persist in a JSON file, written by {@link #flush} at most once a second and by
 * rename, so a crash never leaves half a file. Lease deadlines are not persisted: a restarted controller gives every registration it loads a fresh
 * time to live, so its workloads keep their endpoints as long as they come back to renew in time.
 *
 * <p>Thread-safe; listeners are called with the registry's lock held, in order, and must not block.
 */
public final class LocalRegistry implements DiscoverySource {

    /** What a registration lasts when the workload does not say. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
    static final Duration MIN_TTL = Duration.ofSeconds(1);
    static final Duration MAX_TTL = Duration.ofMinutes(10);

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private final Ticker ticker;
    private final AuthorityNormalizer normalizer;
    private final Path stateFile;
    private final Map<String, Registration> byLease = new HashMap<>();
    private final Map<Authority, Map<Authority, Registration>> byService = new HashMap<>();
    private final Watchers watches = new Watchers(this);
    private final Object writeLock = new Object();
    private boolean dirty;

    private LocalRegistry(Ticker ticker, AuthorityNormalizer normalizer, Path stateFile) {
        this.ticker = ticker;
        this.normalizer = normalizer;
        this.stateFile = stateFile;
    }

    /**
     * A registry persisted in {@code stateFile} (null: in memory only), loading what the file holds.
     *
     * @throws ConfigException if the file exists but is not a registry
     */
    public static LocalRegistry open(Path stateFile, Ticker ticker, AuthorityNormalizer normalizer) {
        LocalRegistry r = new LocalRegistry(requireNonNull(ticker, "ticker"), requireNonNull(normalizer, "normalizer"), stateFile);
        if (stateFile != null) {
            r.load();
        }
        return r;
    }

    /** What a workload registers: its service's endpoint and who it is. */
    public record Workload(String name, String namespace, String service, int port, String address,
            String serviceAccount, ProtocolHint protocolHint, int inboundPort, Map<String, String> labels,
            String tlsIdentity, int adminPort, int tapPort) {
        public Workload {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            protocolHint = protocolHint == null ? ProtocolHint.UNKNOWN : protocolHint;
            tlsIdentity = tlsIdentity == null || tlsIdentity.isEmpty() ? null : tlsIdentity;
        }

        /** What stat groups it by as a deploy: its "deployment" label, else its service, else its name. */
        public String deployment() {
            String d = labels.get("deployment");
            return d != null && !d.isEmpty() ? d : !isClient() ? service : name;
        }

        /** Its service, or null for a client. */
        public String serviceOrNull() {
            return isClient() ? null : service;
        }

        /** A client only: it serves no service, and is registered to be known, not to be called. */
        public boolean isClient() {
            return (service == null || service.isEmpty()) && port == 0;
        }

        /** A workload whose proxy (if any) has no identity and no admin or tap port to show. */
        public Workload(String name, String namespace, String service, int port, String address, String serviceAccount,
                ProtocolHint protocolHint, int inboundPort, Map<String, String> labels) {
            this(name, namespace, service, port, address, serviceAccount, protocolHint, inboundPort, labels, null, 0, 0);
        }
    }

    /** A granted lease. */
    public record Lease(String id, Duration ttl) {
    }

    /** A workload's registration; a client's has no service and no endpoint. */
    private record Registration(String leaseId, Workload workload, Authority service, Endpoint endpoint, long ttlNanos,
            long expiresAtNanos) {
        Registration renewed(long now) {
            return new Registration(leaseId, workload, service, endpoint, ttlNanos, now + ttlNanos);
        }
    }

    /**
     * Registers {@code workload} for {@code ttl} (null or zero: {@link #DEFAULT_TTL}).
     *
     * @throws IllegalArgumentException naming the field, if the workload is not a valid endpoint
     */
    public synchronized Lease register(Workload workload, Duration ttl) {
        requireNonNull(workload, "workload");
        Duration t = ttl == null || ttl.isZero() ? DEFAULT_TTL : ttl;
        if (t.compareTo(MIN_TTL) < 0 || t.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl " + t.toMillis() + " ms: must be between 1 s and 10 min");
        }
        Registration r = registration(UUID.randomUUID().toString(), workload, t.toNanos());
        Registration replaced = r.service() == null ? sameClient(workload)
                : byService.getOrDefault(r.service(), Map.of()).get(r.endpoint().address());
        if (replaced != null) {
            byLease.remove(replaced.leaseId());
        }
        put(r);
        persist();
        publish(r.service());
        return new Lease(r.leaseId(), t);
    }

    /**
     * Extends lease {@code id} by its time to live.
     *
     * @throws java.util.NoSuchElementException if the lease is unknown or has expired
     */
    public synchronized Lease renew(String id) {
        Registration r = byLease.get(id);
        if (r == null) {
            throw new java.util.NoSuchElementException("lease " + id + " is unknown or has expired: register again");
        }
        Registration renewed = r.renewed(ticker.nanoTime());
        byLease.put(id, renewed);
        if (r.service() != null) {
            byService.get(r.service()).put(r.endpoint().address(), renewed);
        }
        return new Lease(id, Duration.ofNanos(r.ttlNanos()));
    }

    /** Removes the registration of lease {@code id}; false if there was none. */
    public synchronized boolean deregister(String id) {
        Registration r = byLease.get(id);
        if (r == null) {
            return false;
        }
        remove(r);
        persist();
        publish(r.service());
        return true;
    }

    /** Removes every registration whose lease has run out. */
    public synchronized void expire() {
        long now = ticker.nanoTime();
        List<Registration> expired = new ArrayList<>();
        for (Registration r : byLease.values()) {
            if (now - r.expiresAtNanos() >= 0) {
                expired.add(r);
            }
        }
        if (expired.isEmpty()) {
            return;
        }
        for (Registration r : expired) {
            remove(r);
        }
        persist();
        expired.stream().map(Registration::service).distinct().forEach(this::publish);
    }

    /** The number of live registrations. */
    /** The workloads registered now, in no particular order. */
    public synchronized java.util.List<Workload> workloads() {
        return byLease.values().stream().map(Registration::workload).toList();
    }

    public synchronized int size() {
        return byLease.size();
    }

    @Override
    public synchronized Watch watch(Authority authority, DiscoveryListener listener) {
        Authority key = authority.isIpAddress() ? authority : normalizer.normalize(authority);
        return watches.add(key, listener, current(key));
    }

    /** Ends every watch and writes what changed since the last {@link #flush}. */
    @Override
    public void close() {
        synchronized (this) {
            watches.clear();
        }
        flush();
    }

    // ---- internals ----

    private Registration registration(String leaseId, Workload w, long ttlNanos) {
        require(w.namespace(), "namespace");
        require(w.address(), "address");
        requireIpAddress(w.address());
        if (w.isClient()) {
            require(w.name(), "name"); // what tells one client from another
            return new Registration(leaseId, w, null, null, ttlNanos, ticker.nanoTime() + ttlNanos);
        }
        require(w.service(), "service");
        if (w.port() < 1 || w.port() > 65535) {
            throw new IllegalArgumentException("workload port " + w.port() + ": must be in 1-65535");
        }
        if (w.inboundPort() < 0 || w.inboundPort() > 65535) {
            throw new IllegalArgumentException("workload inbound_port " + w.inboundPort() + ": must be in 0-65535");
        }
        Authority address;
        Authority service;
        try {
            address = Authority.of(w.address(), w.port());
            service = normalizer.normalize(Authority.of(w.service() + "." + w.namespace(), w.port()));
        } catch (IllegalArgumentException e) { // InvalidAuthorityException among them
            throw new IllegalArgumentException("workload " + w.service() + "." + w.namespace() + " at " + w.address()
                    + ": " + e.getMessage(), e);
        }
        Map<String, String> labels = new LinkedHashMap<>(w.labels());
        labels.put("namespace", w.namespace());
        labels.put("service", w.service());
        if (w.name() != null && !w.name().isEmpty()) {
            labels.put("pod", w.name());
        }
        if (w.serviceAccount() != null && !w.serviceAccount().isEmpty()) {
            labels.put("serviceaccount", w.serviceAccount());
        }
        Endpoint endpoint = Endpoint.builder(address).labels(labels).protocolHint(w.protocolHint())
                .inboundPort(w.inboundPort()).tlsIdentity(w.tlsIdentity()).build();
        return new Registration(leaseId, w, service, endpoint, ttlNanos, ticker.nanoTime() + ttlNanos);
    }

    private static void requireIpAddress(String address) {
        boolean ip;
        try {
            ip = Authority.of(address, 1).isIpAddress();
        } catch (IllegalArgumentException e) { // InvalidAuthorityException among them
            ip = false;
        }
        if (!ip) {
            throw new IllegalArgumentException("workload address " + address + ": must be an IP address");
        }
    }

    private static void require(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("workload " + field + " is required");
        }
    }

    /** The registration of the client {@code w} registers again (same name, namespace and address), or null. */
    private Registration sameClient(Workload w) {
        for (Registration r : byLease.values()) {
            Workload o = r.workload();
            if (r.service() == null && o.name().equals(w.name()) && o.namespace().equals(w.namespace())
                    && o.address().equals(w.address())) {
                return r;
            }
        }
        return null;
    }

    private void put(Registration r) {
        byLease.put(r.leaseId(), r);
        if (r.service() == null) {
            return;
        }
        byService.computeIfAbsent(r.service(), k -> new LinkedHashMap<>()).put(r.endpoint().address(), r);
    }

    private void remove(Registration r) {
        byLease.remove(r.leaseId());
        if (r.service() == null) {
            return;
        }
        Map<Authority, Registration> endpoints = byService.get(r.service());
        if (endpoints != null && endpoints.get(r.endpoint().address()) == r) {
            endpoints.remove(r.endpoint().address());
            if (endpoints.isEmpty()) {
                byService.remove(r.service());
            }
        }
    }

    private EndpointSet current(Authority service) {
        if (service.isIpAddress()) {
            // An IP:port lookup names one registered workload, whatever its service.
            for (Registration r : byLease.values()) {
                if (r.endpoint() != null && r.endpoint().address().equals(service)) {
                    return EndpointSet.of(List.of(r.endpoint()));
                }
            }
            return EndpointSet.empty();
        }
        Map<Authority, Registration> endpoints = byService.get(service);
        if (endpoints == null || endpoints.isEmpty()) {
            return EndpointSet.empty();
        }
        return EndpointSet.of(endpoints.values().stream().map(Registration::endpoint).toList());
    }

    /** Tells the watches of {@code service} (and of IP:port names) what it is now; a client's (null) has none. */
    private void publish(Authority service) {
        if (service == null) {
            return;
        }
        watches.publish(service, current(service));
        for (Authority watched : watches.names()) {
            if (watched.isIpAddress()) {
                watches.publish(watched, current(watched)); // IP:port watches are few; any change may concern them
            }
        }
    }

    // ---- persistence ----

    /** The file's shape: a version and the registrations, without their deadlines. */
    private record State(int version, List<Saved> registrations) {
    }

    private record Saved(String leaseId, long ttlMillis, Workload workload) {
    }

    /** Marks the registrations changed; {@link #flush} writes them. */
    private void persist() {
        dirty = true;
    }

    /**
     * Writes the registrations to the state file if they changed since the last write. The controller
     * calls it every second and when it stops: a change is written once however many follow it within
     * that second (writing the whole file on every change made registering 10,000 workloads quadratic),
     * and a crash loses at most a second of registrations, which their workloads redo when a renewal
     * gets NOT_FOUND. The file is written outside the registry's lock.
     */
    public void flush() {
        if (stateFile == null) {
            return;
        }
        synchronized (writeLock) {
            List<Saved> saved;
            synchronized (this) {
                if (!dirty) {
                    return;
                }
                dirty = false;
                saved = byLease.values().stream()
                        .map(r -> new Saved(r.leaseId(), Duration.ofNanos(r.ttlNanos()).toMillis(), r.workload())).toList();
            }
            try {
                Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
                Files.writeString(tmp, GSON.toJson(new State(1, saved)), StandardCharsets.UTF_8);
                Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                synchronized (this) {
                    dirty = true; // try again next time
                }
                throw new UncheckedIOException("cannot save the registry to " + stateFile + ": " + e.getMessage(), e);
            }
        }
    }

    private void load() {
        String json;
        try {
            json = Files.readString(stateFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return; // a first start
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the registry " + stateFile + ": " + e.getMessage(), e);
        }
        State state;
        try {
            state = GSON.fromJson(json, State.class);
        } catch (JsonParseException e) {
            throw new ConfigException(stateFile.toString(), 0, "registrations", "not a meshj registry: " + e.getMessage());
        }
        if (state == null || state.registrations() == null) {
            return;
        }
        int i = 0;
        for (Saved s : state.registrations()) {
            i++;
            try {
                put(registration(s.leaseId(), s.workload(), Duration.ofMillis(s.ttlMillis()).toNanos()));
            } catch (RuntimeException e) {
                throw new ConfigException(stateFile.toString(), 0, "registrations[" + i + "]", e.getMessage());
            }
        }
    }
}
