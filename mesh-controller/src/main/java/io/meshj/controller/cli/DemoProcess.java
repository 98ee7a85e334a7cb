package io.meshj.controller.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One process of the demo: a JVM started with its output in a log file, which the demo watches for
 * the line saying it is ready.
 */
final class DemoProcess {

    private final String name;
    private final Process process;
    private final Path log;

    private DemoProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} with {@code env} added, its output (both streams) in {@code log}. */
    static DemoProcess start(String name, List<String> command, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new DemoProcess(name, pb.start(), log);
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until {@code ready} appears in the log and returns its first group (or the whole match).
     *
     * @throws DemoException naming the process and its log when it exits first or takes too long
     */
    String awaitReady(Pattern ready, long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            String out = output();
            Matcher m = ready.matcher(out);
            if (m.find()) {
                return m.groupCount() > 0 ? m.group(1) : m.group();
            }
            if (!process.isAlive()) {
                throw new DemoException(name + " exited (code " + process.exitValue() + ") before it was ready; its log: "
                        + log + lastLines(out));
            }
            if (System.nanoTime() > deadline) {
                throw new DemoException(name + " was not ready within " + timeoutSeconds + " s; its log: " + log + lastLines(out));
            }
            // Polling a log file: there is no other signal from a separate process short of a pipe,
            // and a pipe's reader would have to outlive --detach.
            Thread.sleep(50);
        }
    }

    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String lastLines(String out) {
        List<String> lines = out.lines().toList();
        List<String> tail = lines.subList(Math.max(0, lines.size() - 5), lines.size());
        return tail.isEmpty() ? "" : "\n  " + String.join("\n  ", tail);
    }

    /** SIGTERM, then SIGKILL after {@code graceSeconds}. */
    void stop(long graceSeconds) throws InterruptedException {
        stop(process.toHandle(), graceSeconds);
    }

    static void stop(ProcessHandle p, long graceSeconds) throws InterruptedException {
        p.destroy();
        try {
            p.onExit().get(graceSeconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            p.destroyForcibly();
            try {
                p.onExit().get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException ignored) {
                // Nothing more can be done from here; the caller reports what is still alive.
            }
        }
    }

    /** Something the user should know about the demo, in one line; not a bug. */
    static final class DemoException extends RuntimeException {
        DemoException(String message) {
            super(message);
        }
    }
}
