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
    void usageErrorsExitNonZeroWithoutAStackTrace() throws Exception {
        Result r = meshj("frobnicate");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains("'frobnicate'").doesNotContain("\tat ");
    }
}
