package io.meshj.controller;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code bin/meshj} command running as a process, as a user would start it; output goes to a log file. */
final class MeshjProcess implements AutoCloseable {

    private static final Path ROOT = Path.of(System.getProperty("meshj.repo.root", "..")).toAbsolutePath().normalize();

    private final Process process;
    private final Path log;

    private MeshjProcess(Path log, List<String> args) throws IOException {
        this.log = log;
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("bin/meshj").toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // Every buffer tracked, as in the other tests of the data plane.
        pb.environment().put("MESHJ_JAVA_OPTS", "-Xmx64m -XX:+UseSerialGC -Dio.netty.leakDetection.level=paranoid");
        this.process = pb.start();
    }

    /** The {@code bin/meshj} launcher of this checkout. */
    static Path launcher() {
        return ROOT.resolve("bin/meshj");
    }

    /** Starts {@code meshj args...} and waits (up to 30 s) for {@code ready} in its output; returns its first group. */
    /**
     * Runs {@code bin/meshj args...} to its end and returns its standard output; when it fails, its
     * standard error follows, so that the assertion that fails next shows why.
     */
    static String run(String... args) throws IOException, InterruptedException {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(launcher().toString()));
        command.addAll(java.util.List.of(args));
        Path err = java.nio.file.Files.createTempFile("meshj", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return out + "(meshj did not end within 30 s)";
            }
            return p.exitValue() == 0 ? out : out + java.nio.file.Files.readString(err);
        } finally {
            java.nio.file.Files.deleteIfExists(err);
        }
    }

    static MeshjProcess start(Path log, Pattern ready, String... args) throws IOException {
        MeshjProcess p = new MeshjProcess(log, List.of(args));
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
                if (!p.process.isAlive()) {
                    throw new AssertionError("meshj " + String.join(" ", args) + " exited:\n" + p.output());
                }
                return ready.matcher(p.output()).find();
            });
        } catch (RuntimeException | Error e) {
            // The caller never gets it to close: a process that never became ready must not outlive the test.
            p.process.destroyForcibly();
            throw e;
        }
        return p;
    }

    /** The first group of {@code pattern} in the output so far. */
    String find(Pattern pattern) throws IOException {
        Matcher m = pattern.matcher(output());
        if (!m.find()) {
            throw new AssertionError("no " + pattern + " in:\n" + output());
        }
        return m.group(1);
    }

    String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, as a crash or the OOM killer ends a process: no shutdown hook, no goodbye to peers. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, then SIGKILL if it has not exited within 20 s. Fails on a buffer leak in the output. */
    @Override
    public void close() throws InterruptedException, IOException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        if (output().contains("LEAK:")) {
            throw new AssertionError("buffers leaked:\n" + output());
        }
    }
}
