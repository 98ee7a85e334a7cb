package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.MeshVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the real {@code bin/meshj} launcher against the packaged jar, as a user would. */
class LauncherIT {

    private static final Path ROOT = Path.of(System.getProperty("meshj.repo.root", "..")).toAbsolutePath().normalize();

    record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result meshj(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("bin/meshj").toString());
        command.addAll(List.of(args));
        Path outFile = Files.createTempFile("meshj-out", ".txt");
        Path errFile = Files.createTempFile("meshj-err", ".txt");
        try {
            Process p = new ProcessBuilder(command)
                    .redirectOutput(outFile.toFile())
                    .redirectError(errFile.toFile())
                    .start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("meshj %s finished", List.of(args)).isTrue();
            return new Result(p.exitValue(), Files.readString(outFile, StandardCharsets.UTF_8),
                    Files.readString(errFile, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(outFile);
            Files.deleteIfExists(errFile);
        }
    }

    @Test
    void versionRunsFromThePackagedJar() throws Exception {
        Result r = meshj("version", "--client");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("Client version: " + MeshVersion.current() + "\n");
    }

    @Test
    void helpListsTheCommands() throws Exception {
        Result r = meshj("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).startsWith("Usage: meshj").contains("version");
    }

    @Test
    void proxyStartsServesAdminAndStopsOnSigterm() throws Exception {
        List<String> command = List.of(ROOT.resolve("bin/meshj").toString(), "proxy",
                "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0",
                "--shutdown-grace-period", "1s");
        Path log = Files.createTempFile("meshj-proxy", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            java.util.regex.Pattern ready = java.util.regex.Pattern.compile("admin /127\\.0\\.0\\.1:(\\d+)");
            String[] port = new String[1];
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                java.util.regex.Matcher m = ready.matcher(Files.readString(log));
                if (m.find()) {
                    port[0] = m.group(1);
                    return true;
                }
                return !p.isAlive();
            });
            assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
            String out = Files.readString(log);
            assertThat(out).contains("outbound-listen = 127.0.0.1:0").contains("opaque-ports = 25,587,3306");
            java.net.http.HttpResponse<String> live = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port[0] + "/live")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(live.body()).isEqualTo("live\n");
            p.destroy(); // SIGTERM: drains (1 s grace at most) and exits 0
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isIn(0, 143);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    @Test
    void usageErrorsExitNonZeroWithoutAStackTrace() throws Exception {
        Result r = meshj("frobnicate");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains("'frobnicate'").doesNotContain("\tat ");
    }
}
