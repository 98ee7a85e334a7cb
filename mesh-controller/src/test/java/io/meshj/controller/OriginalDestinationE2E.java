package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transparent interception end to end: a "pod" network namespace with {@code meshj proxy-init}'s rules,
 * a local controller and {@code meshj proxy} running as the proxy user (2102), joined by a veth pair
 * (made inside the namespaces; the host's interfaces are never touched) to a "remote" namespace with
 * servers that report the address each connection came from.
 *
 * <p>The pod's own connections are redirected to the proxy's outbound port, which reads where they
 * were headed ({@code SO_ORIGINAL_DST}) and goes there: opaque TCP (an opaque port, where the server
 * speaks first, and a port where detection finds no HTTP), and HTTP whose Host no service claims. Each
 * reaches its server from the pod's address, once: the proxy's own connections are not redirected back
 * to it. A connection to the pod is redirected to the inbound port and reaches the application on
 * its original port (no {@code --app-ports}).
 */
@Tag("netns")
class OriginalDestinationE2E {

    /** An HTTP server answering every GET with its body argument, or with the client's address for "-". */
    private static final String HTTP_SERVER = String.join("\n",
            "import http.server, sys",
            "class H(http.server.BaseHTTPRequestHandler):",
            "    def do_GET(self):",
            "        body = (self.client_address[0] if sys.argv[2] == '-' else sys.argv[2]).encode()",
            "        self.send_response(200)",
            "        self.send_header('Content-Length', str(len(body)))",
            "        self.end_headers()",
            "        self.wfile.write(body)",
            "    def log_message(self, *args):",
            "        pass",
            "http.server.ThreadingHTTPServer(('0.0.0.0', int(sys.argv[1])), H).serve_forever()",
            "");

    /** A TCP server that speaks first ("from <client address>") and then echoes lines. */
    private static final String ECHO_SERVER = String.join("\n",
            "import socketserver, sys",
            "class H(socketserver.StreamRequestHandler):",
            "    def handle(self):",
            "        self.wfile.write(('from %s\\n' % self.client_address[0]).encode())",
            "        for line in self.rfile:",
            "            self.wfile.write(line)",
            "socketserver.ThreadingTCPServer.allow_reuse_address = True",
            "socketserver.ThreadingTCPServer(('0.0.0.0', int(sys.argv[1])), H).serve_forever()",
            "");

    /**
     * A TCP client: connects to argv[1]:argv[2]; "listen" reads the server's greeting before sending,
     * "talk" sends first (bytes that are no HTTP); prints the greeting and the echo on one line.
     */
    private static final String CLIENT = String.join("\n",
            "import socket, sys",
            "s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)",
            "f = s.makefile('rwb')",
            "if sys.argv[3] == 'listen':",
            "    greeting = f.readline(); f.write(b'ping\\n'); f.flush()",
            "else:",
            "    f.write(b'{hello}\\n'); f.flush(); greeting = f.readline()",
            "echo = f.readline()",
            "print(greeting.decode().strip() + ' | ' + echo.decode().strip())",
            "");

    private static final int PROXY_UID = 2102;

    @TempDir
    Path dir;

    private final String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    private final String pod = "mj-odp-" + id;
    private final String remote = "mj-odr-" + id;
    private final int subnet = ThreadLocalRandom.current().nextInt(1, 250);
    private final String podIp = "10.252." + subnet + ".2";
    private final String remoteIp = "10.252." + subnet + ".1";
    private final List<Process> processes = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();
    private Path client;

    @BeforeEach
    void pods() throws Exception {
        assertThat(run("id", "-u").strip()).as("network namespaces need root").isEqualTo("0");
        for (String ns : List.of(pod, remote)) {
            run("ip", "netns", "add", ns);
            namespaces.add(ns);
        }
        run("ip", "-n", pod, "link", "add", "mjp" + id, "type", "veth", "peer", "name", "mjr" + id, "netns", remote);
        run("ip", "-n", pod, "addr", "add", podIp + "/30", "dev", "mjp" + id);
        run("ip", "-n", remote, "addr", "add", remoteIp + "/30", "dev", "mjr" + id);
        for (String[] ns : new String[][] {{pod, "mjp" + id}, {remote, "mjr" + id}}) {
            run("ip", "-n", ns[0], "link", "set", "lo", "up");
            run("ip", "-n", ns[0], "link", "set", ns[1], "up");
        }
        Path http = Files.writeString(dir.resolve("http_server.py"), HTTP_SERVER);
        Path echo = Files.writeString(dir.resolve("echo_server.py"), ECHO_SERVER);
        client = Files.writeString(dir.resolve("tcp_client.py"), CLIENT);
        start(dir.resolve("remote-9000.log"), "ip", "netns", "exec", remote, "python3", http.toString(), "9000", "-");
        start(dir.resolve("remote-6379.log"), "ip", "netns", "exec", remote, "python3", echo.toString(), "6379");
        start(dir.resolve("remote-7000.log"), "ip", "netns", "exec", remote, "python3", echo.toString(), "7000");
        start(dir.resolve("pod-8080.log"), "ip", "netns", "exec", pod, "python3", http.toString(), "8080", "app");
    }

    @AfterEach
    void removePods() throws Exception {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        for (String ns : namespaces) {
            run("ip", "netns", "del", ns);
        }
    }

    @Test
    void redirectedConnectionsGoWhereTheyWereHeadedThroughTheProxy() throws Exception {
        run("ip", "netns", "exec", pod, MeshjProcess.launcher().toString(), "proxy-init",
                "--incoming-proxy-port", "4143", "--outgoing-proxy-port", "4140", "--proxy-uid", Integer.toString(PROXY_UID),
                "--inbound-ports-to-ignore", "4190,4191");
        Path controllerLog = dir.resolve("controller.log");
        Path proxyLog = dir.resolve("proxy.log");
        // The controller runs in the pod on loopback, which the rules leave alone; the proxy asks it
        // about every name and original destination (none of which it knows here).
        start(controllerLog, "ip", "netns", "exec", pod, MeshjProcess.launcher().toString(), "controller", "--local",
                "--data-dir", dir.resolve("home").toString(), "--destination-listen", "127.0.0.1:8086",
                "--identity-listen", "127.0.0.1:8081"); // 8080 is the application's
        start(proxyLog, "ip", "netns", "exec", pod, "setpriv", "--reuid=" + PROXY_UID, "--regid=" + PROXY_UID,
                "--clear-groups", MeshjProcess.launcher().toString(), "proxy",
                "--outbound-listen", "127.0.0.1:4140", "--inbound-listen", "0.0.0.0:4143",
                "--admin-listen", "127.0.0.1:4191", "--tap-listen", "127.0.0.1:0",
                "--destination", "127.0.0.1:8086", "--log-level", "debug");
        awaitLine(controllerLog, "meshj controller ready");
        awaitLine(proxyLog, "meshj proxy ready (EPOLL)");
        for (String[] server : new String[][] {{remote, "9000"}, {remote, "6379"}, {remote, "7000"}, {pod, "8080"}}) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> exitCode("ip", "netns",
                    "exec", server[0], "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + server[1]) == 0);
        }
        assertThat(Files.readString(proxyLog)).as("the proxy runs as the proxy user").doesNotContain("Permission denied");

        // (a) opaque TCP to an opaque port, the server speaking first: no detection delay.
        assertThat(output("ip", "netns", "exec", pod, "python3", client.toString(), remoteIp, "6379", "listen"))
                .isEqualTo("from " + podIp + " | ping");
        // (a') opaque TCP found by detection: the first bytes are no HTTP.
        assertThat(output("ip", "netns", "exec", pod, "python3", client.toString(), remoteIp, "7000", "talk"))
                .isEqualTo("from " + podIp + " | {hello}");
        // (b) HTTP whose Host no service claims goes where the client connected.
        assertThat(output("ip", "netns", "exec", pod, "curl", "-sS", "--max-time", "10", "-H", "Host: unknown.example",
                "http://" + remoteIp + ":9000/")).isEqualTo(podIp);
        // (c) inbound: to the application's port on localhost, with no --app-ports.
        assertThat(output("ip", "netns", "exec", remote, "curl", "-sS", "--max-time", "10", "http://" + podIp + ":8080/"))
                .isEqualTo("app");

        String metrics = output("ip", "netns", "exec", pod, "curl", "-sS", "--max-time", "5", "http://127.0.0.1:4191/metrics");
        assertThat(value(metrics, "tcp_open_total", "direction=\"outbound\"", "peer=\"dst\"",
                "target_addr=\"" + remoteIp + ":6379\"")).isEqualTo(1);
        assertThat(value(metrics, "tcp_open_total", "direction=\"outbound\"", "peer=\"dst\"",
                "target_addr=\"" + remoteIp + ":7000\"")).isEqualTo(1);
        assertThat(value(metrics, "request_total", "direction=\"outbound\"", "authority=\"unknown.example\"",
                "target_addr=\"" + remoteIp + ":9000\"")).isEqualTo(1);
        assertThat(value(metrics, "request_total", "direction=\"inbound\"", "target_addr=\"127.0.0.1:8080\"")).isEqualTo(1);
        // No loop: the proxy accepted the three outbound connections the client made, and no more
        // (its own connections to the original destinations were not redirected back to it).
        assertThat(value(metrics, "tcp_open_total", "direction=\"outbound\"", "peer=\"src\"")).isEqualTo(3);
        assertThat(value(metrics, "meshj_proxy_errors_total", "reason=\"loop_detected\"")).isZero();

        String log = Files.readString(proxyLog);
        for (String port : List.of("6379", "7000", "9000")) {
            assertThat(count(log, Pattern.compile("original destination of " + Pattern.quote(podIp) + ":\\d+: "
                    + Pattern.quote(remoteIp + ":" + port) + " \\(outbound\\)"))).as("logged once, port " + port).isOne();
        }
        assertThat(count(log, Pattern.compile("original destination of " + Pattern.quote(remoteIp) + ":\\d+: "
                + Pattern.quote(podIp + ":8080") + " \\(inbound\\)"))).isOne();
        assertThat(log).doesNotContain("LEAK:");
    }

    /** The sum of {@code name}'s samples whose labels contain every one of {@code labels}. */
    private static double value(String metrics, String name, String... labels) {
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (!line.startsWith(name + "{")) {
                continue;
            }
            String labelPart = line.substring(name.length(), line.lastIndexOf('}') + 1);
            boolean all = true;
            for (String l : labels) {
                all &= labelPart.contains(l);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static int count(String text, Pattern pattern) {
        Matcher m = pattern.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private void awaitLine(Path log, String line) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (int i = 0; i < processes.size(); i++) {
                if (!processes.get(i).isAlive()) {
                    Path dead = logs.get(i);
                    throw new AssertionError("exited (" + processes.get(i).exitValue() + "), " + dead + ":\n"
                            + Files.readString(dead));
                }
            }
            return Files.exists(log) && Files.readString(log).contains(line);
        });
    }

    private void start(Path log, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // Every buffer tracked, as in the other tests of the data plane.
        pb.environment().put("MESHJ_JAVA_OPTS", "-Xmx64m -XX:+UseSerialGC -Dio.netty.leakDetection.level=paranoid");
        processes.add(pb.start());
        logs.add(log);
    }

    /** Runs a command to its end; fails with its output unless it succeeds. */
    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }

    private static int exitCode(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    /** A command's output, whatever its exit status. */
    private static String output(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out.strip();
    }
}
