package io.meshj.controller;

import static io.meshj.controller.testing.PrometheusText.series;
import static io.meshj.controller.testing.PrometheusText.sum;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.controller.testing.PodNetwork;
import io.meshj.controller.testing.PodNetwork.PodProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transparent interception end to end: a pod ({@link PodNetwork}) with {@code meshj proxy-init}'s rules,
 * a local controller and {@code meshj proxy} running as the proxy user (2102), and a "remote" pod with
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

    /** A TCP server that speaks first ("from <client address>") and then echoes lines. */
    private static final String ECHO_SERVER = String.join("\n",
            "import socketserver, sys",
            "class H(socketserver.StreamRequestHandler):",
            "    def handle(self):",
            "        self.wfile.write(('from %s\\n' % self.client_address[0]).encode())",
            "        for line in self.rfile:",
            "            self.wfile.write(line)",
            "socketserver.ThreadingTCPServer.allow_reuse_address = True",
            "s = socketserver.ThreadingTCPServer(('0.0.0.0', int(sys.argv[1])), H)",
            "print('listening on', sys.argv[1], flush=True)",
            "s.serve_forever()",
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
    private static final String MESHJ = MeshjProcess.launcher().toString();
    /** Every buffer tracked, as in the other tests of the data plane. */
    private static final String JAVA_OPTS = "MESHJ_JAVA_OPTS=-Xmx64m -XX:+UseSerialGC -Dio.netty.leakDetection.level=paranoid";

    @RegisterExtension
    final PodNetwork net = PodNetwork.builder().pod("pod").pod("remote").build();

    @TempDir
    Path dir;

    @Test
    void redirectedConnectionsGoWhereTheyWereHeadedThroughTheProxy() throws Exception {
        String podIp = net.address("pod");
        String remoteIp = net.address("remote");
        net.httpServer("remote", 9000, "{client}");
        for (int port : new int[] {6379, 7000}) {
            net.start("remote", "python3", "-c", ECHO_SERVER, Integer.toString(port))
                    .awaitOutput("listening on " + port, Duration.ofSeconds(20));
        }
        net.httpServer("pod", 8080, "app");

        net.exec("pod", MESHJ, "proxy-init", "--proxy-uid", Integer.toString(PROXY_UID)).check();
        // The controller runs in the pod on loopback, which the rules leave alone; the proxy asks it
        // about every name and original destination (none of which it knows here).
        net.start("pod", "env", JAVA_OPTS, MESHJ, "controller", "--local", "--data-dir", dir.resolve("home").toString(),
                "--destination-listen", "127.0.0.1:8086", "--identity-listen", "127.0.0.1:8081") // 8080 is the application's
                .awaitOutput("meshj controller ready", Duration.ofSeconds(60));
        PodProcess proxy = net.startAs(PROXY_UID, "pod", "env", JAVA_OPTS, MESHJ, "proxy",
                "--outbound-listen", "127.0.0.1:4140", "--inbound-listen", "0.0.0.0:4143",
                "--admin-listen", "127.0.0.1:4191", "--tap-listen", "127.0.0.1:0",
                "--destination", "127.0.0.1:8086", "--log-level", "debug")
                .awaitOutput("meshj proxy ready (EPOLL)", Duration.ofSeconds(60));
        assertThat(proxy.output()).as("the proxy runs as the proxy user").doesNotContain("Permission denied");

        // (a) opaque TCP to an opaque port, the server speaking first: no detection delay.
        assertThat(tcpClient(remoteIp, 6379, "listen")).isEqualTo("from " + podIp + " | ping");
        // (a') opaque TCP found by detection: the first bytes are no HTTP.
        assertThat(tcpClient(remoteIp, 7000, "talk")).isEqualTo("from " + podIp + " | {hello}");
        // (b) HTTP whose Host no service claims goes where the client connected.
        assertThat(net.exec("pod", "curl", "-sS", "--max-time", "10", "-H", "Host: unknown.example",
                "http://" + remoteIp + ":9000/").check().stdout()).isEqualTo(podIp);
        // (c) inbound: to the application's port on localhost, with no --app-ports.
        assertThat(net.curl("remote", "http://" + podIp + ":8080/")).isEqualTo("app");

        String metrics = net.exec("pod", "curl", "-sS", "--max-time", "5", "http://127.0.0.1:4191/metrics").check().stdout();
        assertThat(sum(metrics, "tcp_open_total", "direction=\"outbound\"", "peer=\"dst\"",
                "target_addr=\"" + remoteIp + ":6379\"")).isEqualTo(1);
        assertThat(sum(metrics, "tcp_open_total", "direction=\"outbound\"", "peer=\"dst\"",
                "target_addr=\"" + remoteIp + ":7000\"")).isEqualTo(1);
        assertThat(sum(metrics, "request_total", "direction=\"outbound\"", "authority=\"unknown.example\"",
                "target_addr=\"" + remoteIp + ":9000\"")).isEqualTo(1);
        assertThat(sum(metrics, "request_total", "direction=\"inbound\"", "target_addr=\"127.0.0.1:8080\"")).isEqualTo(1);
        // No loop: the proxy accepted the three outbound connections the client made, and no more
        // (its own connections to the original destinations were not redirected back to it).
        assertThat(sum(metrics, "tcp_open_total", "direction=\"outbound\"", "peer=\"src\""))
                .as(series(metrics, "tcp_open_total")).isEqualTo(3);
        assertThat(sum(metrics, "meshj_proxy_errors_total", "reason=\"loop_detected\"")).isZero();

        String log = proxy.output();
        for (String port : List.of("6379", "7000", "9000")) {
            assertThat(count(log, Pattern.compile("original destination of " + Pattern.quote(podIp) + ":\\d+: "
                    + Pattern.quote(remoteIp + ":" + port) + " \\(outbound\\)"))).as("logged once, port " + port).isOne();
        }
        assertThat(count(log, Pattern.compile("original destination of " + Pattern.quote(remoteIp) + ":\\d+: "
                + Pattern.quote(podIp + ":8080") + " \\(inbound\\)"))).isOne();
        assertThat(log).doesNotContain("LEAK:");
    }

    private String tcpClient(String host, int port, String mode) {
        return net.exec("pod", "python3", "-c", CLIENT, host, Integer.toString(port), mode).check().stdout().strip();
    }

    private static int count(String text, Pattern pattern) {
        Matcher m = pattern.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
