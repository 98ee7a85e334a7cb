package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.meshj.controller.Controller;
import io.meshj.core.discovery.StaticFileDiscovery;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshj diagnostics endpoints} and {@code meshj check} against a controller on a loopback port. */
class ControllerClientCommandsTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private Controller controller;
    private String destination;

    @BeforeEach
    void start() throws IOException {
        Path file = Files.writeString(dir.resolve("static.yml"), "services:\n"
                + "  web.emojivoto:8080:\n"
                + "    - address: 10.0.0.1:8080\n      protocol: h2\n      inboundPort: 4143\n"
                + "    - 10.0.0.2:8080\n");
        controller = Controller.builder().destinationListen(new InetSocketAddress("127.0.0.1", 0))
                .backend(StaticFileDiscovery.builder(file).reloadInterval(Duration.ZERO).build()).start();
        destination = "127.0.0.1:" + controller.destinationAddress().getPort();
    }

    @AfterEach
    void stop() {
        controller.close();
    }

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void endpointsPrintsOneLinePerEndpointWithItsLabels() {
        assertThat(run("diagnostics", "endpoints", "--destination", destination, "-n", "emojivoto", "web:8080")).isZero();
        assertThat(out.toString().lines()).containsExactly(
                "NAMESPACE   IP         PORT   POD   SERVICE",
                "emojivoto   10.0.0.1   8080   -     web",
                "emojivoto   10.0.0.2   8080   -     web");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void endpointsAsJsonCarryEveryField() {
        assertThat(run("diagnostics", "endpoints", "--destination", destination, "-o", "json", "web.emojivoto:8080")).isZero();
        JsonArray rows = JsonParser.parseString(out.toString()).getAsJsonArray();
        assertThat(rows).hasSize(2);
        JsonObject first = rows.get(0).getAsJsonObject();
        assertThat(first.get("authority").getAsString()).isEqualTo("web.emojivoto.svc.cluster.local:8080");
        assertThat(first.get("ip").getAsString()).isEqualTo("10.0.0.1");
        assertThat(first.get("protocol").getAsString()).isEqualTo("h2");
        assertThat(first.get("inboundPort").getAsInt()).isEqualTo(4143);
    }

    @Test
    void anUnknownServiceIsSaidPlainly() {
        assertThat(run("diagnostics", "endpoints", "--destination", destination, "nosuch:80")).isZero();
        assertThat(out.toString()).isEqualTo("No endpoints found.\n");
        assertThat(err.toString()).isEqualTo("nosuch.default.svc.cluster.local:80: no such service\n");
    }

    @Test
    void aMalformedAuthorityIsAUsageError() {
        assertThat(run("diagnostics", "endpoints", "--destination", destination, "web:x")).isEqualTo(2);
        assertThat(err.toString()).startsWith("meshj: authority web:x: ").doesNotContain("\tat ");
    }

    @Test
    void checkPassesAgainstARunningController() {
        assertThat(run("check", "--local", "--destination", destination, "--data-dir", dir.toString())).isZero();
        assertThat(out.toString()).contains("✔ data directory " + dir + " is usable")
                .contains("✔ controller answers at " + destination)
                .endsWith("Status check results are ✔\n");
    }

    @Test
    void checkFailsNamingWhatIsWrong() throws IOException {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        assertThat(run("check", "--local", "--destination", "127.0.0.1:" + deadPort, "--data-dir", dir.resolve("nope").toString()))
                .isEqualTo(1);
        assertThat(out.toString()).contains("✘ data directory " + dir.resolve("nope") + " does not exist")
                .contains("✘ cannot reach the controller at 127.0.0.1:" + deadPort)
                .endsWith("Status check results are ✘\n");
    }
}
