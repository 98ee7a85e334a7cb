package io.meshj.controller.testing;

import static java.util.Objects.requireNonNull;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A small cluster on one machine, for end-to-end tests as root: every pod is a network namespace with
 * its loopback up and an {@code eth0} whose veth peer is a port of a bridge that lives in a namespace
 * of its own. Pods get addresses in a private /24 ({@code 10.244.<n>.0/24}, {@code n} drawn per
 * network) that exists only inside these namespaces, and resolve each other's names (and aliases, such
 * as service names) through {@code /etc/netns/<namespace>/hosts}, which {@code ip netns exec}
 * bind-mounts over {@code /etc/hosts} for every process it starts. Nothing is attached to the host's
 * interfaces or routes and the pods have no default route, so no packet can leave the namespaces;
 * concurrent networks cannot meet either, each having its own bridge.
 *
 * <p>Registered with {@code @RegisterExtension} on a {@code static} field, the network lives for the
 * test class and the processes a test starts are killed after that test (those started in
 * {@code @BeforeAll} live to the end); on an instance field, every test gets a network of its own,
 * which is what a test that changes a pod's iptables rules wants. Either way everything is torn down,
 * whether the test passed or not: processes killed (any process left in a pod's namespace too),
 * namespaces deleted, {@code /etc/netns/<namespace>} removed. {@link #create()} and {@link #close()}
 * do the same by hand.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final PodNetwork net = PodNetwork.builder().pod("controller").pod("web", "web-svc.default").pod("client").build();
 *
 * net.httpServer("web", 8080, "hello");
 * assertThat(net.curl("client", "http://web-svc.default:8080/")).isEqualTo("hello");
 * }</pre>
 *
 * <p>Calls may come from any thread. Needs root, {@code ip} (iproute2), and for the helpers that use
 * them {@code setpriv} (util-linux), {@code python3} and {@code curl}.
 */
public final class PodNetwork implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, AutoCloseable {

    private static final Path NETNS_ETC = Path.of("/etc/netns");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?");
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");

    /** A tiny HTTP server: answers every GET with its body ({client}: the caller's address), and says when it listens. */
    private static final String HTTP_SERVER = String.join("\n",
            "import http.server, sys",
            "class H(http.server.BaseHTTPRequestHandler):",
            "    def do_GET(self):",
            "        body = sys.argv[2].replace('{client}', self.client_address[0]).encode()",
            "        self.send_response(200)",
            "        self.send_header('Content-Length', str(len(body)))",
            "        self.end_headers()",
            "        self.wfile.write(body)",
            "    def log_message(self, *args):",
            "        pass",
            "s = http.server.ThreadingHTTPServer(('0.0.0.0', int(sys.argv[1])), H)",
            "print('listening on', sys.argv[1], flush=True)",
            "s.serve_forever()",
            "");

    private final Map<String, List<String>> aliases;
    private final String ip;
    private final long euid;
    private final String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0x1000000));
    private final int subnet = ThreadLocalRandom.current().nextInt(1, 255);
    private final Map<String, String> addresses = new LinkedHashMap<>();
    private final Map<String, String> namespaces = new LinkedHashMap<>();
    private final String bridge = "meshj-" + id + "_bridge";
    /** What exists, in the order it was made, so that a half-built network is torn down as far as it got. */
    private final List<String> created = Collections.synchronizedList(new ArrayList<>());
    private final List<PodProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final List<PodProcess> testProcesses = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean inTest;
    private volatile boolean perTest;
    private volatile Path dir;
    private volatile Thread shutdownHook;

    private PodNetwork(Builder b) {
        this.aliases = new LinkedHashMap<>(b.pods);
        this.ip = b.ip;
        this.euid = b.euid;
        int host = 10;
        for (String pod : aliases.keySet()) {
            addresses.put(pod, "10.244." + subnet + "." + host++);
            namespaces.put(pod, "meshj-" + id + "-" + pod);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    // --- JUnit lifecycle ---

    @Override
    public void beforeAll(ExtensionContext context) {
        create();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (dir == null) {
            perTest = true;
            create();
        }
        inTest = true;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        inTest = false;
        if (context.getExecutionException().isPresent()) {
            printOutputs();
        }
        if (perTest) {
            close();
        } else {
            List<PodProcess> done;
            synchronized (testProcesses) {
                done = new ArrayList<>(testProcesses);
                testProcesses.clear();
            }
            done.forEach(PodProcess::kill);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    // --- building and tearing down ---

    /** Builds the network; fails with one line when this machine cannot (not root, no {@code ip}). */
    public synchronized void create() {
        if (dir != null) {
            throw new IllegalStateException("this PodNetwork already exists");
        }
        if (euid != 0) {
            throw new Unavailable("PodNetwork needs root (network namespaces, veth links, /etc/netns): run the *E2E tests as root");
        }
        try {
            new ProcessBuilder(ip, "-V").redirectErrorStream(true).start().waitFor();
        } catch (IOException e) {
            throw new Unavailable("PodNetwork needs the ip command (" + ip + " not found): install iproute2");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        try {
            dir = Files.createTempDirectory("podnetwork-" + id + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread hook = new Thread(this::close, "PodNetwork " + id + " teardown");
        Runtime.getRuntime().addShutdownHook(hook);
        shutdownHook = hook;
        try {
            addNamespace(bridge);
            ip("-n", bridge, "link", "set", "lo", "up");
            ip("-n", bridge, "link", "add", "br0", "type", "bridge");
            ip("-n", bridge, "link", "set", "br0", "up");
            int port = 0;
            for (String pod : aliases.keySet()) {
                String ns = namespaces.get(pod);
                writeHosts(ns);
                addNamespace(ns);
                ip("-n", ns, "link", "set", "lo", "up");
                // Made inside the bridge's namespace with its peer born in the pod's: the host's
                // namespace never sees either end.
                String veth = "v" + port++;
                ip("-n", bridge, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
                ip("-n", bridge, "link", "set", veth, "master", "br0");
                ip("-n", bridge, "link", "set", veth, "up");
                ip("-n", ns, "addr", "add", addresses.get(pod) + "/24", "dev", "eth0");
                ip("-n", ns, "link", "set", "eth0", "up");
            }
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (RuntimeException | Error again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    private void addNamespace(String ns) {
        ip("netns", "add", ns);
        created.add(ns);
    }

    private void writeHosts(String ns) {
        StringBuilder hosts = new StringBuilder("# PodNetwork " + id + " (meshj tests): removed with namespace " + ns + "\n")
                .append("127.0.0.1\tlocalhost\n")
                .append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        aliases.forEach((pod, names) -> {
            hosts.append(addresses.get(pod)).append('\t').append(pod);
            names.forEach(n -> hosts.append(' ').append(n));
            hosts.append('\n');
        });
        try {
            Path etc = NETNS_ETC.resolve(ns);
            Files.createDirectories(etc);
            created.add(etc.toString());
            Files.writeString(etc.resolve("hosts"), hosts);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + NETNS_ETC.resolve(ns) + "/hosts", e);
        }
    }

    /**
     * Tears everything down, whatever state it is in, and says at the end (one error, the others
     * suppressed) what could not be removed. Calling it again does nothing.
     */
    @Override
    public synchronized void close() {
        if (dir == null) {
            return;
        }
        List<Throwable> problems = new ArrayList<>();
        List<PodProcess> all;
        synchronized (processes) {
            all = new ArrayList<>(processes);
            processes.clear();
        }
        all.forEach(PodProcess::kill);
        testProcesses.clear();
        List<String> made;
        synchronized (created) {
            made = new ArrayList<>(created);
            created.clear();
        }
        Collections.reverse(made);
        for (String thing : made) {
            try {
                if (thing.startsWith("/")) {
                    deleteTree(Path.of(thing));
                } else {
                    killEverythingIn(thing);
                    ip("netns", "del", thing);
                }
            } catch (RuntimeException | Error e) {
                problems.add(e);
            }
        }
        try {
            deleteTree(dir);
        } catch (RuntimeException e) {
            problems.add(e);
        }
        dir = null;
        Thread hook = shutdownHook;
        shutdownHook = null;
        if (hook != null && hook != Thread.currentThread()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to: nothing to undo
            }
        }
        if (!problems.isEmpty()) {
            AssertionError e = new AssertionError("PodNetwork " + id + " was not torn down completely: " + problems.get(0).getMessage());
            problems.forEach(e::addSuppressed);
            throw e;
        }
    }

    /**
     * A namespace lives on while a process is in it, whatever {@code ip netns del} says: a process a
     * test started and forgot (a daemon's child, say) is killed by its pid, which only processes of
     * this network can have.
     */
    private void killEverythingIn(String ns) {
        // Until the namespace is empty: a process may fork while we kill. A killed process whose parent
        // does not reap it stays a zombie, which no longer counts as in the namespace.
        await("the processes in " + ns + " to end").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            List<Long> left = pids(ns);
            left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            return left.isEmpty();
        });
    }

    private List<Long> pids(String ns) {
        return run(List.of(ip, "netns", "pids", ns)).stdout().lines().map(String::strip).filter(l -> !l.isEmpty())
                .map(Long::parseLong).toList();
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + root, e);
        }
    }

    // --- what tests use ---

    /** The pod's address, e.g. {@code 10.244.37.11}. */
    public String address(String pod) {
        return requireNonNull(addresses.get(pod), () -> "no pod " + pod + " in " + addresses.keySet());
    }

    /** The network namespace that is the pod. */
    public String namespace(String pod) {
        address(pod);
        return namespaces.get(pod);
    }

    /** Every namespace of this network: the pods' and the bridge's. */
    public List<String> namespaces() {
        List<String> all = new ArrayList<>(namespaces.values());
        all.add(bridge);
        return all;
    }

    /** The bridge's namespace. */
    public String bridgeNamespace() {
        return bridge;
    }

    /** The pods' subnet, e.g. {@code 10.244.37.0/24}. */
    public String subnet() {
        return "10.244." + subnet + ".0/24";
    }

    /** Runs a command in the pod to its end (at most 30 s) and returns what it did, whatever its exit status. */
    public Result exec(String pod, String... command) {
        return run(inPod(pod, -1, command));
    }

    /** {@link #exec} as user and group {@code uid}, without supplementary groups. */
    public Result execAs(int uid, String pod, String... command) {
        return run(inPod(pod, uid, command));
    }

    /** Starts a command in the pod in the background; its standard output and error go to one log. */
    public PodProcess start(String pod, String... command) {
        return launch(pod, inPod(pod, -1, command));
    }

    /** {@link #start} as user and group {@code uid}. */
    public PodProcess startAs(int uid, String pod, String... command) {
        return launch(pod, inPod(pod, uid, command));
    }

    /**
     * A python3 HTTP server on {@code 0.0.0.0:port} in the pod that answers every GET with {@code body},
     * in which {@code {client}} stands for the caller's address (to see where a connection came from);
     * returns once it listens.
     */
    public PodProcess httpServer(String pod, int port, String body) {
        PodProcess server = start(pod, "python3", "-c", HTTP_SERVER, Integer.toString(port), body);
        server.awaitOutput("listening on " + port, Duration.ofSeconds(20));
        return server;
    }

    /**
     * {@code curl -sS} from the pod: the response body, or a line starting with {@code "curl failed"}
     * and curl's own message, so that an assertion on the body shows why.
     */
    public String curl(String pod, String url) {
        return curlResult(exec(pod, curlCommand(url)));
    }

    /** {@link #curl} as user {@code uid}. */
    public String curlAs(int uid, String pod, String url) {
        return curlResult(execAs(uid, pod, curlCommand(url)));
    }

    private static String[] curlCommand(String url) {
        return new String[] {"curl", "-sS", "--max-time", "5", url};
    }

    private static String curlResult(Result r) {
        return r.exitCode() == 0 ? r.stdout() : "curl failed (exit " + r.exitCode() + "): " + r.stderr().strip();
    }

    private List<String> inPod(String pod, int uid, String... command) {
        if (dir == null) {
            throw new IllegalStateException("the PodNetwork does not exist (not registered as an extension, or torn down)");
        }
        List<String> c = new ArrayList<>(List.of(ip, "netns", "exec", namespace(pod)));
        if (uid >= 0) {
            c.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
        }
        c.addAll(List.of(command));
        return c;
    }

    private PodProcess launch(String pod, List<String> command) {
        Path log = dir.resolve(pod + "-" + processes.size() + ".log");
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
        PodProcess process = new PodProcess(pod, command, p, log);
        processes.add(process);
        if (inTest) {
            testProcesses.add(process);
        }
        return process;
    }

    private void ip(String... args) {
        List<String> command = new ArrayList<>(List.of(ip));
        command.addAll(List.of(args));
        run(command).check();
    }

    /**
     * Runs a command to its end. Its output goes to files, not pipes: a command that leaves a daemon
     * behind (which keeps its inherited descriptors) must not keep us reading until the daemon ends.
     */
    private Result run(List<String> command) {
        Path out;
        Path err;
        try {
            out = Files.createTempFile(dir, "out", ".txt");
            err = Files.createTempFile(dir, "err", ".txt");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Process p;
        try {
            p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        }
        try {
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + ": did not end within " + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            Result r = new Result(command, p.exitValue(), Files.readString(out), Files.readString(err));
            // ip netns exec (and setpriv) exec the command: when it is not there, say which, not just "255".
            if (r.exitCode() != 0 && r.stderr().matches("(?s).*(exec of \"[^\"]*\" failed|setpriv: failed to execute).*")) {
                throw new AssertionError(r.stderr().strip() + ": is it installed? (" + String.join(" ", command) + ")");
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        } finally {
            try {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            } catch (IOException ignored) {
                // removed with the network's directory at the latest
            }
        }
    }

    /** After a failed test: what each process said, since its log is deleted with the network. */
    private void printOutputs() {
        List<PodProcess> all;
        synchronized (processes) {
            all = new ArrayList<>(processes);
        }
        for (PodProcess p : all) {
            String out = p.output();
            System.err.println("--- PodNetwork " + id + ", pod " + p.pod + ": " + p.command
                    + (p.isAlive() ? "" : " (exited " + p.process.exitValue() + ")") + "\n"
                    + (out.length() > 4000 ? "..." + out.substring(out.length() - 4000) : out));
        }
    }

    /** What a command did. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        /** This result, or an AssertionError with the command and what it said. */
        public Result check() {
            if (exitCode != 0) {
                throw new AssertionError(String.join(" ", command) + " failed (exit " + exitCode + "): " + (stderr + stdout).strip());
            }
            return this;
        }
    }

    /** A background process in a pod, killed at the latest when the test (or the network) ends. */
    public final class PodProcess {
        private final String pod;
        private final String command;
        private final Process process;
        private final Path log;

        private PodProcess(String pod, List<String> command, Process process, Path log) {
            this.pod = pod;
            this.command = String.join(" ", command);
            this.process = process;
            this.log = log;
        }

        /** Everything it wrote so far (standard output and error). */
        public String output() {
            try {
                return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Waits until its output contains {@code text}; fails early, with the output, if it exits first. */
        public PodProcess awaitOutput(String text, Duration within) {
            await("\"" + text + "\" from " + command).atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> {
                if (output().contains(text)) {
                    return true;
                }
                if (!process.isAlive()) {
                    throw new AssertionError(command + " exited (" + process.exitValue() + ") without saying \""
                            + text + "\":\n" + output());
                }
                return false;
            });
            return this;
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public long pid() {
            return process.pid();
        }

        /** SIGTERM, then SIGKILL after {@code grace}; returns its exit status. */
        public int stop(Duration grace) {
            process.destroy();
            try {
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                }
                return process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
                return -1;
            }
        }

        void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** This machine cannot build the network; the message says why in one line (no stack trace to read). */
    public static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    public static final class Builder {
        private final Map<String, List<String>> pods = new LinkedHashMap<>();
        private String ip = "ip";
        private long euid = effectiveUid();

        private Builder() {
        }

        /**
         * A pod named {@code name} (a DNS label: its namespace is {@code meshj-<id>-<name>}), which every
         * pod resolves by that name and by each alias (e.g. a service name, {@code web-svc.default}).
         */
        public Builder pod(String name, String... aliases) {
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("pod name \"" + name + "\": lower-case letters, digits and '-', at most 32");
            }
            for (String a : aliases) {
                if (!HOST_NAME.matcher(a).matches()) {
                    throw new IllegalArgumentException("alias \"" + a + "\" of pod " + name + ": not a host name");
                }
            }
            if (pods.putIfAbsent(name, List.of(aliases)) != null) {
                throw new IllegalArgumentException("pod " + name + " twice");
            }
            if (pods.size() > 200) {
                throw new IllegalArgumentException("at most 200 pods");
            }
            return this;
        }

        /** The {@code ip} command to use (tests of the fixture itself). */
        Builder ip(String command) {
            this.ip = requireNonNull(command, "command");
            return this;
        }

        /** The effective user to believe we run as (tests of the fixture itself). */
        Builder effectiveUid(long uid) {
            this.euid = uid;
            return this;
        }

        public PodNetwork build() {
            if (pods.isEmpty()) {
                throw new IllegalStateException("a PodNetwork needs at least one pod");
            }
            return new PodNetwork(this);
        }

        /** From /proc/self/status ("Uid: real effective saved fs"): no JNA or JAAS module needed. */
        private static long effectiveUid() {
            try {
                return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                        .map(l -> Long.parseLong(l.split("\\s+")[2])).findFirst().orElse(-1L);
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }
    }
}
