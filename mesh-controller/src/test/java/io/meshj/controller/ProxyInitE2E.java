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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj proxy-init} in a real pod: two network namespaces joined by a veth pair (made inside
 * them; the host's interfaces are never touched), the rules installed in the "pod" by the CLI, and
 * small HTTP servers standing in for the proxy's ports and the application. Connections to the pod are
 * redirected to the inbound port except on ignored ports; the pod's own connections go to the outbound
 * port, except the proxy user's and loopback ones. Installing twice leaves one set of rules.
 */
@Tag("netns")
class ProxyInitE2E {

    private static final String SERVER = String.join("\n",
            "import http.server, sys",
            "class H(http.server.BaseHTTPRequestHandler):",
            "    def do_GET(self):",
            "        body = sys.argv[2].encode()",
            "        self.send_response(200)",
            "        self.send_header('Content-Length', str(len(body)))",
            "        self.end_headers()",
            "        self.wfile.write(body)",
            "    def log_message(self, *args):",
            "        pass",
            "http.server.ThreadingHTTPServer(('0.0.0.0', int(sys.argv[1])), H).serve_forever()",
            "");

    @TempDir
    Path dir;

    private final String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    private final String pod = "mj-pod-" + id;
    private final String client = "mj-cli-" + id;
    private final int subnet = ThreadLocalRandom.current().nextInt(1, 250);
    private final String podIp = "10.251." + subnet + ".2";
    private final String clientIp = "10.251." + subnet + ".1";
    private final List<Process> servers = new ArrayList<>();

    @BeforeEach
    void pods() throws Exception {
        assertThat(run("id", "-u").strip()).as("network namespaces need root").isEqualTo("0");
        run("ip", "netns", "add", pod);
        run("ip", "netns", "add", client);
        // The veth pair is made inside the pod's namespace with its peer in the client's.
        run("ip", "-n", pod, "link", "add", "mjp" + id, "type", "veth", "peer", "name", "mjc" + id, "netns", client);
        run("ip", "-n", pod, "addr", "add", podIp + "/30", "dev", "mjp" + id);
        run("ip", "-n", client, "addr", "add", clientIp + "/30", "dev", "mjc" + id);
        for (String[] ns : new String[][] {{pod, "mjp" + id}, {client, "mjc" + id}}) {
            run("ip", "-n", ns[0], "link", "set", "lo", "up");
            run("ip", "-n", ns[0], "link", "set", ns[1], "up");
        }
        Path script = Files.writeString(dir.resolve("server.py"), SERVER);
        serve(pod, script, 8080, "app");
        serve(pod, script, 4143, "proxy-in");
        serve(pod, script, 4140, "proxy-out");
        serve(pod, script, 4191, "admin");
        serve(client, script, 9000, "remote");
        for (String[] s : new String[][] {{pod, "8080"}, {pod, "4143"}, {pod, "4140"}, {pod, "4191"}, {client, "9000"}}) {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !curl(s[0], "127.0.0.1:" + s[1]).startsWith("curl:"));
        }
    }

    @AfterEach
    void removePods() throws Exception {
        for (Process p : servers) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        run("ip", "netns", "del", pod);
        run("ip", "netns", "del", client);
    }

    @Test
    void trafficGoesThroughTheProxyPortsExceptWhereItMustNot() throws Exception {
        for (int i = 0; i < 2; i++) { // the second run replaces the first's rules
            run("ip", "netns", "exec", pod, MeshjProcess.launcher().toString(), "proxy-init",
                    "--incoming-proxy-port", "4143", "--outgoing-proxy-port", "4140", "--proxy-uid", "2102",
                    "--inbound-ports-to-ignore", "4190,4191");
        }
        String rules = run("ip", "netns", "exec", pod, "iptables-save", "-t", "nat");
        assertThat(rules.lines().filter(l -> l.startsWith("-A PREROUTING ") && l.endsWith("-j MESHJ_INBOUND"))).hasSize(1);
        assertThat(rules.lines().filter(l -> l.startsWith("-A OUTPUT ") && l.endsWith("-j MESHJ_OUTPUT"))).hasSize(1);
        assertThat(rules.lines().filter(l -> l.contains("REDIRECT --to-ports 4143"))).hasSize(1);

        assertThat(curl(client, podIp + ":8080")).as("inbound, redirected").isEqualTo("proxy-in");
        assertThat(curl(client, podIp + ":4191")).as("inbound to an ignored port").isEqualTo("admin");
        assertThat(curl(pod, clientIp + ":9000")).as("outbound, redirected").isEqualTo("proxy-out");
        assertThat(curlAs(2102, pod, clientIp + ":9000")).as("the proxy's own outbound").isEqualTo("remote");
        assertThat(curl(pod, "127.0.0.1:8080")).as("loopback").isEqualTo("app");
    }

    private void serve(String ns, Path script, int port, String body) throws IOException {
        servers.add(new ProcessBuilder("ip", "netns", "exec", ns, "python3", script.toString(), Integer.toString(port), body)
                .redirectErrorStream(true).redirectOutput(dir.resolve(ns + "-" + port + ".log").toFile()).start());
    }

    private static String curl(String ns, String address) throws Exception {
        return output("ip", "netns", "exec", ns, "curl", "-sS", "--max-time", "5", "http://" + address + "/");
    }

    private static String curlAs(int uid, String ns, String address) throws Exception {
        return output("ip", "netns", "exec", ns, "setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "curl", "-sS", "--max-time", "5", "http://" + address + "/");
    }

    /** Runs a command to its end; fails with its output unless it succeeds. */
    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }

    /** A command's output, whatever its exit status (curl's errors start with "curl:"). */
    private static String output(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out.strip();
    }
}
