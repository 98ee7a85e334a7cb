package io.meshj.controller.destination;

import static java.util.Objects.requireNonNull;

import io.meshj.core.ConfigException;
import io.meshj.core.discovery.Watch;
import io.meshj.core.name.Authority;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.core.profile.ServiceProfileParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Service profiles of the local mode: one {@code ServiceProfile} document per file ({@code *.yml},
 * {@code *.yaml}, {@code *.json}) in a directory, the same documents Kubernetes users apply, so a
 * profile moves between the two modes unchanged. A profile describes the service its
 * {@code metadata.name} names (its fully qualified name, {@code web.default.svc.cluster.local}).
 *
 * <p>{@link #poll()} re-reads the directory (the controller calls it every second, as the static
 * endpoints file is polled): a file whose content changed is parsed again, one that went away takes
 * its profile with it. A file that does not parse is logged once per content, naming the file, line
 * and field, and ignored; the service keeps the profile the file gave before, as with a rejected
 * Kubernetes resource. Two files naming one service: the file whose name sorts first wins, and the
 * other is reported.
 *
 * <p>Threading: polls and watches are serialized on this object; listeners are called under its lock,
 * so they must only hand the profile on (as {@link DestinationService}'s streams do).
 */
public final class ProfileDirectory implements ProfileSource {

    private static final System.Logger LOG = System.getLogger(ProfileDirectory.class.getName());

    private final Path dir;
    /** What each file held when last read, and the profile it gave (null: never a valid one). */
    private final Map<Path, FileState> files = new HashMap<>();
    /** The profiles served now, by the host of their name. */
    private final Map<String, ServiceProfile> byService = new HashMap<>();
    private final Map<String, List<Consumer<ServiceProfile>>> watchers = new HashMap<>();
    /** Files reported as duplicates, with the content reported, so each is logged once. */
    private final Map<Path, String> reported = new HashMap<>();

    private record FileState(String content, ServiceProfile profile) {
    }

    private ProfileDirectory(Path dir) {
        this.dir = dir;
    }

    /** A source of the profiles in {@code dir} (which need not exist yet), read once now. */
    public static ProfileDirectory open(Path dir) {
        ProfileDirectory d = new ProfileDirectory(requireNonNull(dir, "dir"));
        d.poll();
        return d;
    }

    /** The directory read. */
    public Path directory() {
        return dir;
    }

    /** How many services have a profile now. */
    public synchronized int size() {
        return byService.size();
    }

    /** Re-reads the directory and tells the watchers of every service whose profile changed. */
    public synchronized void poll() {
        Map<Path, String> now = read();
        files.keySet().removeIf(p -> !now.containsKey(p));
        for (Map.Entry<Path, String> e : now.entrySet()) {
            FileState old = files.get(e.getKey());
            if (old != null && old.content().equals(e.getValue())) {
                continue;
            }
            ServiceProfile parsed = null;
            try {
                parsed = ServiceProfileParser.parse(e.getKey().toString(), e.getValue());
            } catch (ConfigException ex) {
                LOG.log(System.Logger.Level.WARNING, "ignoring service profile {0}", ex.getMessage());
            }
            files.put(e.getKey(), new FileState(e.getValue(), parsed != null ? parsed : old == null ? null : old.profile()));
        }
        Map<String, ServiceProfile> next = new HashMap<>();
        Map<String, Path> from = new HashMap<>();
        files.keySet().stream().sorted().forEach(p -> {
            ServiceProfile profile = files.get(p).profile();
            if (profile == null) {
                return;
            }
            String service = host(profile.name());
            Path first = from.putIfAbsent(service, p);
            if (first == null) {
                next.put(service, profile);
            } else if (!files.get(p).content().equals(reported.get(p))) {
                LOG.log(System.Logger.Level.WARNING, "ignoring service profile {0}: {1} already describes {2}", p, first, service);
                reported.put(p, files.get(p).content());
            }
        });
        List<String> changed = new ArrayList<>();
        for (String s : byService.keySet()) {
            if (!next.containsKey(s)) {
                changed.add(s);
            }
        }
        for (Map.Entry<String, ServiceProfile> e : next.entrySet()) {
            if (byService.get(e.getKey()) != e.getValue()) {
                changed.add(e.getKey());
            }
        }
        byService.clear();
        byService.putAll(next);
        for (String s : changed) {
            ServiceProfile p = byService.getOrDefault(s, ServiceProfile.empty(s));
            for (Consumer<ServiceProfile> w : watchers.getOrDefault(s, List.of())) {
                w.accept(p);
            }
        }
    }

    /** The profile files' contents; an unreadable file is logged and left out (its profile goes). */
    private Map<Path, String> read() {
        Map<Path, String> out = new HashMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.{yml,yaml,json}")) {
            for (Path p : entries) {
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                try {
                    out.put(p, Files.readString(p, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    FileState old = files.get(p);
                    if (old != null) {
                        out.put(p, old.content()); // a file being replaced: keep what it said
                    } else {
                        LOG.log(System.Logger.Level.WARNING, "cannot read service profile {0}: {1}", p, e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot list service profiles in {0}: {1}", dir, e.getMessage());
            files.forEach((p, s) -> out.put(p, s.content())); // keep serving what was read before
        }
        return out;
    }

    private static String host(String name) {
        return Authority.parse(name).host();
    }

    @Override
    public synchronized Watch watch(Authority name, Consumer<ServiceProfile> listener) {
        String service = name.host();
        watchers.computeIfAbsent(service, k -> new CopyOnWriteArrayList<>()).add(listener);
        listener.accept(byService.getOrDefault(service, ServiceProfile.empty(service)));
        return () -> {
            synchronized (ProfileDirectory.this) {
                List<Consumer<ServiceProfile>> ws = watchers.get(service);
                if (ws != null) {
                    ws.remove(listener);
                    if (ws.isEmpty()) {
                        watchers.remove(service);
                    }
                }
            }
        };
    }

    @Override
    public void close() {
    }
}
