package io.meshj.examples.emojivoto;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM started from a test, as a supervisor would start it: stdout and stderr each go to a file in
 * {@code dir}, so a failing test can show them.
 */
final class JavaProcess implements AutoCloseable {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    /** Small, quick-starting JVMs: several run at once. */
    private static final List<String> JVM_OPTIONS = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    private JavaProcess(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** {@code java -jar jar args...} with {@code env} added to this JVM's environment. */
    static JavaProcess jar(Path dir, String name, Path jar, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(List.of(args));
        return start(dir, name, command, env);
    }

    /** {@code java -cp <this JVM's class path> mainClass args...}. */
    static JavaProcess main(Path dir, String name, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return start(dir, name, command, Map.of());
    }

    private static JavaProcess start(Path dir, String name, List<String> command, Map<String, String> env)
            throws IOException {
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(env);
        return new JavaProcess(name, builder.start(), out, err);
    }

    /** Waits for a line of stdout matching {@code pattern}; fails early, with the output, if the process exits. */
    Matcher awaitStdout(Pattern pattern, Duration timeout) {
        Matcher[] found = new Matcher[1];
        await(name + " to print " + pattern).atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            Matcher m = pattern.matcher(stdout());
            if (m.find()) {
                found[0] = m;
                return true;
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + stdout() + stderr());
            }
            return false;
        });
        return found[0];
    }

    /** Runs to the end (at most {@code timeout}) and returns the exit code. */
    int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not end within " + timeout);
        }
        return process.exitValue();
    }

    /** SIGTERM; returns the exit code, or fails if the process has not exited within {@code timeout}. */
    int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return waitFor(timeout);
    }

    String stdout() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    /** SIGTERM if still running, SIGKILL if that has not worked within ten seconds. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
