package io.meshj.controller.cli;

import io.meshj.controller.identity.LocalIdentityStore;
import io.meshj.tls.WorkloadIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshj demo}: the whole mesh on one machine, without root or Kubernetes. A local controller
 * with a fresh CA, and the Java emojivoto: emoji and voting embedded (the library), web and vote-bot
 * plain behind sidecar proxies. Every part is its own process, as it would be in production; the
 * demo waits for each to say it is ready, prints what runs where, and stops them all on Ctrl-C (or,
 * with {@code --detach}, leaves them running for {@code meshj demo stop}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, subcommands = DemoCommand.Stop.class,
        description = {"Run emojivoto meshed on this machine: a local controller, emoji and voting embedded,",
            "web and vote-bot behind sidecar proxies. Ctrl-C stops it all."})
final class DemoCommand implements Callable<Integer> {

    static final String NAMESPACE = "emojivoto";
    private static final String PIDS = "demo.pids";
    private static final Pattern CONTROLLER_READY = Pattern.compile("meshj controller ready");
    private static final Pattern PROXY_READY = Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");

    @Spec
    CommandSpec spec;

    @Option(names = "--detach", description = "Start everything, then return and leave it running ('meshj demo stop' ends it).")
    boolean detach;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the demo keeps its controller state and logs, emptied at start (default: $MESHJ_HOME/demo, else ~/.meshj/demo).")
    Path dataDir;

    @Option(names = "--examples-jar", paramLabel = "FILE",
            description = "The emojivoto example's jar (default: the one built in this checkout).")
    Path examplesJar;

    @Option(names = "--web-port", defaultValue = "8080", description = "The port for web's page and API (default: ${DEFAULT-VALUE}; another one if it is taken).")
    int webPort;

    @Option(names = "--controller-port", defaultValue = "8086",
            description = "The controller's destination port (default: ${DEFAULT-VALUE}, where the CLI looks; another one if it is taken).")
    int controllerPort;

    private final List<DemoProcess> started = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = dataDir != null ? dataDir : defaultDir();
        List<ProcessHandle> running = runningDemo(dir);
        if (!running.isEmpty()) {
            throw new IllegalArgumentException("a demo is already running from " + dir + " (pids "
                    + running.stream().map(p -> Long.toString(p.pid())).toList() + "); stop it with: meshj demo stop");
        }
        Path jar = examplesJar != null ? examplesJar : builtExamplesJar();
        Path meshjJar = ownJar();
        resetDir(dir);
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path home = dir.resolve("home");
        Thread hook = new Thread(this::stopAll, "meshj-demo-stop");
        if (!detach) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        try {
            Ports ports = new Ports(out);
            int destination = ports.prefer(controllerPort, "the controller");
            int identity = ports.free();
            int emojiPort = ports.prefer(8081, "emoji");
            int votingPort = ports.prefer(8082, "voting");
            int web = ports.prefer(webPort, "web");
            String dst = "127.0.0.1:" + destination;
            String id = "127.0.0.1:" + identity;

            step(out, "controller", "local registry, a fresh CA in " + home);
            DemoProcess controller = start("controller", javaJar(meshjJar, "controller", "--local", "--data-dir", home.toString(),
                    "--destination-listen", dst, "--identity-listen", id, "--scrape-interval", "2s"), Map.of(), logs);
            controller.awaitReady(CONTROLLER_READY, 60);
            Path anchors = home.resolve("identity/trust-anchor.pem");
            LocalIdentityStore store = new LocalIdentityStore(home);
            Map<String, Path> tokens = new LinkedHashMap<>();
            for (String sa : List.of("emoji", "voting", "web", "vote-bot")) {
                String token = store.tokens(Clock.systemUTC()).mint(new WorkloadIdentity(sa, NAMESPACE,
                        WorkloadIdentity.DEFAULT_TRUST_DOMAIN), Duration.ofDays(7));
                tokens.put(sa, Files.writeString(dir.resolve(sa + ".token"), token));
            }

            for (String[] svc : new String[][] {{"emoji", "emoji-svc", Integer.toString(emojiPort)},
                    {"voting", "voting-svc", Integer.toString(votingPort)}}) {
                step(out, svc[0], "embedded, gRPC on 127.0.0.1:" + svc[2]);
                Map<String, String> env = Map.of("MESHJ_DESTINATION", dst, "MESHJ_IDENTITY", id, "MESHJ_NAMESPACE", NAMESPACE,
                        "MESHJ_SERVICE_ACCOUNT", svc[0], "MESHJ_SERVICE", svc[1], "MESHJ_DEPLOYMENT", svc[0],
                        "MESHJ_WORKLOAD_NAME", svc[0] + "-1", "MESHJ_TOKEN_FILE", tokens.get(svc[0]).toString(),
                        "MESHJ_TRUST_ANCHORS", anchors.toString());
                start(svc[0], javaJar(jar, svc[0], "--mode", "embedded", "--port", svc[2]), env, logs)
                        .awaitReady(Pattern.compile("emojivoto " + svc[0] + " ready"), 60);
            }

            step(out, "web", "plain HTTP on 127.0.0.1:" + web + ", behind a sidecar proxy");
            DemoProcess webProxy = start("web-proxy", proxy(meshjJar, dst, id, anchors, tokens.get("web"), "web",
                    "web-svc", web), Map.of(), logs);
            String webOutbound = webProxy.awaitReady(PROXY_READY, 60);
            start("web", javaJar(jar, "web", "--mode", "plain", "--port", Integer.toString(web),
                    "--proxy", "127.0.0.1:" + webOutbound, "--emoji-addr", "emoji-svc." + NAMESPACE + ":" + emojiPort,
                    "--voting-addr", "voting-svc." + NAMESPACE + ":" + votingPort), Map.of(), logs)
                    .awaitReady(Pattern.compile("emojivoto web ready"), 60);

            step(out, "vote-bot", "plain, behind a sidecar proxy, voting about once a second");
            DemoProcess botProxy = start("vote-bot-proxy", proxy(meshjJar, dst, id, anchors, tokens.get("vote-bot"),
                    "vote-bot", null, 0), Map.of(), logs);
            String botOutbound = botProxy.awaitReady(PROXY_READY, 60);
            start("vote-bot", javaJar(jar, "vote-bot", "--mode", "plain", "--proxy", "127.0.0.1:" + botOutbound,
                    "--web-addr", "web-svc." + NAMESPACE + ":" + web), Map.of(), logs)
                    .awaitReady(Pattern.compile("emojivoto vote-bot ready"), 60);

            writePids(dir);
            printSummary(out, dir, destination, identity, emojiPort, votingPort, web);
        } catch (DemoProcess.DemoException | IOException e) {
            stopAll();
            if (!detach) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (detach) {
            out.println("Running in the background. Stop it with: meshj demo stop" + dataDirFlag(dir));
            return 0;
        }
        out.println("Press Ctrl-C to stop everything.");
        out.flush();
        // The demo lives as long as its parts: if one dies, say which and stop the rest — unless
        // 'meshj demo stop' (which removes the pid file first) is stopping them.
        while (true) {
            for (DemoProcess p : started) {
                if (!p.isAlive()) {
                    if (!Files.exists(dir.resolve(PIDS))) {
                        out.println("stopped by meshj demo stop");
                        return 0;
                    }
                    spec.commandLine().getErr().println("meshj: " + p.name() + " exited; its log: " + p.log());
                    return 1; // the shutdown hook stops the rest
                }
            }
            Thread.sleep(500);
        }
    }

    private static void step(PrintWriter out, String name, String what) {
        out.printf("starting %-10s %s%n", name, what);
        out.flush();
    }

    private DemoProcess start(String name, List<String> command, Map<String, String> env, Path logs) throws IOException {
        DemoProcess p = DemoProcess.start(name, command, env, logs.resolve(name + ".log"));
        started.add(p);
        return p;
    }

    /** The JVM options of the demo's processes: small heaps and the quick compiler, for a laptop. */
    private static List<String> jvm() {
        List<String> c = new ArrayList<>();
        c.add(ProcessHandle.current().info().command().orElse("java"));
        String opts = System.getenv("MESHJ_DEMO_JAVA_OPTS");
        c.addAll(List.of((opts != null ? opts : "-XX:+UseSerialGC -Xms16m -Xmx96m -XX:TieredStopAtLevel=1"
                + " -XX:+ExitOnOutOfMemoryError -Dio.netty.leakDetection.level=disabled").split("\\s+")));
        return c;
    }

    /** {@code java <opts> -jar jar args...}: the meshj jar (controller, proxies) or the example's. */
    private static List<String> javaJar(Path jar, String... args) {
        List<String> c = jvm();
        c.addAll(List.of("-jar", jar.toString()));
        c.addAll(List.of(args));
        return c;
    }

    /** A sidecar for {@code sa}'s workload, registered as an endpoint of {@code service}, or as a client when null. */
    private static List<String> proxy(Path meshjJar, String dst, String id, Path anchors, Path token, String sa, String service,
            int appPort) {
        List<String> registration = service == null ? List.of("--register-client", "true")
                : List.of("--register", service + "." + NAMESPACE + ":" + appPort, "--app-ports", Integer.toString(appPort));
        List<String> args = new java.util.ArrayList<>(List.of("proxy", "--outbound-listen", "127.0.0.1:0",
                "--inbound-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0",
                "--destination", dst, "--identity", id, "--identity-token-file", token.toString(),
                "--trust-anchors", anchors.toString(), "--service-account", sa, "--namespace", NAMESPACE,
                "--workload-name", sa + "-1", "--deployment", sa));
        args.addAll(registration);
        return javaJar(meshjJar, args.toArray(String[]::new));
    }

    private void printSummary(PrintWriter out, Path dir, int destination, int identity, int emoji, int voting, int web) {
        out.println();
        out.println("emojivoto is running in namespace " + NAMESPACE + ", meshed by meshj:");
        String format = "  %-15s %-9s %-32s pid %d%n";
        for (DemoProcess p : started) {
            String kind = switch (p.name()) {
                case "controller" -> "local";
                case "emoji", "voting" -> "embedded";
                case "web-proxy", "vote-bot-proxy" -> "sidecar";
                default -> "plain";
            };
            String where = switch (p.name()) {
                case "controller" -> "127.0.0.1:" + destination + " (identity :" + identity + ")";
                case "emoji" -> "emoji-svc." + NAMESPACE + ":" + emoji;
                case "voting" -> "voting-svc." + NAMESPACE + ":" + voting;
                case "web" -> "web-svc." + NAMESPACE + ":" + web;
                case "web-proxy" -> "in front of web";
                case "vote-bot-proxy" -> "in front of vote-bot";
                default -> "-> web-svc." + NAMESPACE + ":" + web;
            };
            out.printf(format, p.name(), kind, where, p.pid());
        }
        String flag = destination == 8086 ? "" : " --destination 127.0.0.1:" + destination;
        out.println();
        out.println("Open http://127.0.0.1:" + web + "/ to vote. Then try:");
        out.println("  meshj -n " + NAMESPACE + " stat deploy" + flag);
        out.println("  meshj -n " + NAMESPACE + " tap deploy/voting" + flag);
        out.println("  meshj -n " + NAMESPACE + " edges deploy" + flag);
        out.println("  meshj -n " + NAMESPACE + " top deploy/web" + flag);
        out.println("(the first numbers appear after the controller's first scrapes, in a few seconds)");
        out.println("Logs: " + dir.resolve("logs"));
        out.flush();
    }

    private static String dataDirFlag(Path dir) {
        return dir.equals(defaultDir()) ? "" : " --data-dir " + dir;
    }

    /** Stops what this run started, last first (clients before servers, the controller last). */
    private void stopAll() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).stop(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void writePids(Path dir) throws IOException {
        StringBuilder b = new StringBuilder();
        for (DemoProcess p : started) {
            b.append(p.name()).append(' ').append(p.pid()).append('\n');
        }
        Files.writeString(dir.resolve(PIDS), b.toString());
    }

    /** The processes of a demo started from {@code dir} that are still running. */
    static List<ProcessHandle> runningDemo(Path dir) throws IOException {
        Path pids = dir.resolve(PIDS);
        if (!Files.isRegularFile(pids)) {
            return List.of();
        }
        List<ProcessHandle> alive = new ArrayList<>();
        for (String line : Files.readAllLines(pids)) {
            String[] parts = line.trim().split(" ");
            if (parts.length != 2) {
                continue;
            }
            try {
                ProcessHandle.of(Long.parseLong(parts[1]))
                        // A pid may have been reused since: only a Java process is ours.
                        .filter(p -> p.isAlive() && p.info().command().map(c -> c.contains("java")).orElse(true))
                        .ifPresent(alive::add);
            } catch (NumberFormatException e) {
                // A line we did not write: ignore it.
            }
        }
        return alive;
    }

    static Path defaultDir() {
        return ControllerCommand.defaultDataDir().resolve("demo");
    }

    private static void resetDir(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
    }

    /** The jar this CLI runs from (the demo's controller and proxies are this same program). */
    private static Path ownJar() {
        try {
            Path p = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("the demo runs from a built meshj jar (./mvnw -q install -DskipTests;"
                        + " bin/meshj demo), not from " + p);
            }
            return p;
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The emojivoto jar next to this checkout's controller build: examples/emojivoto/target. */
    private static Path builtExamplesJar() throws IOException {
        Path root = ownJar().getParent().getParent().getParent();
        Path target = root.resolve("examples/emojivoto/target");
        if (Files.isDirectory(target)) {
            try (Stream<Path> files = Files.list(target)) {
                for (Path f : files.toList()) {
                    String n = f.getFileName().toString();
                    if (n.startsWith("mesh-examples-emojivoto-") && n.endsWith(".jar") && !n.endsWith("-tests.jar")
                            && !n.endsWith("-sources.jar")) {
                        return f;
                    }
                }
            }
        }
        throw new IllegalArgumentException("the emojivoto example is not built (no jar in " + target
                + "); run ./mvnw -q install -DskipTests in " + root + ", or pass --examples-jar");
    }

    /** Picks the demo's ports: the preferred one when free, else any, saying so. */
    private static final class Ports {
        private final PrintWriter out;
        private final List<Integer> taken = new ArrayList<>();

        Ports(PrintWriter out) {
            this.out = out;
        }

        int prefer(int port, String who) throws IOException {
            if (port > 0 && !taken.contains(port) && isFree(port)) {
                taken.add(port);
                return port;
            }
            int other = free();
            out.printf("port %d is in use: %s gets port %d instead%n", port, who, other);
            return other;
        }

        int free() throws IOException {
            while (true) {
                try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                    if (!taken.contains(s.getLocalPort())) {
                        taken.add(s.getLocalPort());
                        return s.getLocalPort();
                    }
                }
            }
        }

        private static boolean isFree(int port) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** {@code meshj demo stop}: stops a demo started with {@code --detach} (or running in another terminal). */
    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the demo's processes.")
    static final class Stop implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "The demo's directory (default: $MESHJ_HOME/demo, else ~/.meshj/demo).")
        Path dataDir;

        @Override
        public Integer call() throws Exception {
            Path dir = dataDir != null ? dataDir : defaultDir();
            List<ProcessHandle> running = runningDemo(dir);
            if (running.isEmpty()) {
                spec.commandLine().getOut().println("no demo is running from " + dir);
                return 0;
            }
            // Removed first: a demo running in the foreground then knows its parts are being stopped on purpose.
            Files.deleteIfExists(dir.resolve(PIDS));
            for (int i = running.size() - 1; i >= 0; i--) {
                DemoProcess.stop(running.get(i), 10);
            }
            long left = running.stream().filter(ProcessHandle::isAlive).count();
            if (left > 0) {
                spec.commandLine().getErr().println("meshj: " + left + " of the demo's processes would not stop: pids "
                        + running.stream().filter(ProcessHandle::isAlive).map(p -> Long.toString(p.pid())).toList());
                return 1;
            }
            spec.commandLine().getOut().println("stopped the demo (" + running.size() + " processes)");
            return 0;
        }
    }
}
