package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj demo}, as the README tells a new user to run it: detached, then stat, tap and edges
 * show the Java emojivoto meshed — every deployment meshed, voting and web failing their doughnut
 * votes, VoteDoughnut failing in tap, every edge secured — and {@code meshj demo stop} leaves no
 * process behind.
 */
class DemoIT {

    private static final Path ROOT = Path.of(System.getProperty("meshj.repo.root", "../..")).toAbsolutePath().normalize();
    private static final Pattern CONTROLLER = Pattern.compile("controller +local +127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern PID = Pattern.compile("pid (\\d+)");

    @TempDir
    Path dir;

    private Path demoDir;

    @AfterEach
    void stop() throws Exception {
        if (demoDir != null) {
            meshj(60, "demo", "stop", "--data-dir", demoDir.toString()); // whatever happened above
        }
    }

    @Test
    void theDemoMeshesEmojivotoAndStopsCleanly() throws Exception {
        demoDir = dir.resolve("demo");
        Result started = meshj(240, "demo", "--detach", "--data-dir", demoDir.toString());
        assertThat(started.code).as(started.all()).isZero();
        assertThat(started.out).contains("starting controller", "starting emoji", "starting voting", "starting web",
                "starting vote-bot", "meshj -n emojivoto stat deploy");
        Matcher m = CONTROLLER.matcher(started.out);
        assertThat(m.find()).as(started.out).isTrue();
        String destination = "127.0.0.1:" + m.group(1);
        List<Long> pids = new ArrayList<>();
        Matcher p = PID.matcher(started.out);
        while (p.find()) {
            pids.add(Long.parseLong(p.group(1)));
        }
        assertThat(pids).hasSize(7);

        // stat: four meshed deployments; voting and web below 100 % (doughnut), traffic and latencies.
        Map<String, String[]> rows = new TreeMap<>();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            Result stat = meshj(30, "-n", "emojivoto", "stat", "deploy", "--destination", destination);
            assertThat(stat.code).as(stat.all()).isZero();
            rows.clear();
            for (String line : stat.out.lines().skip(1).toList()) {
                String[] cols = line.trim().split(" +");
                rows.put(cols[0], cols);
            }
            assertThat(rows.keySet()).as(stat.out).containsExactly("emoji", "vote-bot", "voting", "web");
            for (String[] row : rows.values()) {
                assertThat(row[1]).as(stat.out).isEqualTo("1/1");
            }
            for (String served : List.of("emoji", "voting", "web")) {
                String[] row = rows.get(served);
                assertThat(row[3]).as(stat.out).matches("\\d+\\.\\d+rps").isNotEqualTo("0.0rps");
                assertThat(row[4]).as(stat.out).matches("\\d+ms");
            }
            assertThat(percent(rows.get("voting")[2])).as(stat.out).isLessThan(100.0);
            assertThat(percent(rows.get("web")[2])).as(stat.out).isLessThan(100.0);
            assertThat(percent(rows.get("emoji")[2])).as(stat.out).isEqualTo(100.0);
        });

        // tap: a doughnut vote, failing with gRPC Unknown (vote-bot picks it ~15 % of the time, once a second).
        Result tap = meshj(120, "-n", "emojivoto", "tap", "deploy/voting", "--path",
                "/emojivoto.v1.VotingService/VoteDoughnut", "--limit", "1", "--destination", destination);
        assertThat(tap.code).as(tap.all()).isZero();
        List<String> lines = tap.out.lines().toList();
        assertThat(lines.get(0)).as(tap.out).startsWith("req ").contains("tls=true")
                .contains(":path=/emojivoto.v1.VotingService/VoteDoughnut");
        assertThat(lines.get(lines.size() - 1)).as(tap.out).startsWith("end ").contains("grpc-status=Unknown");

        // edges: every hop secured.
        Result edges = meshj(30, "-n", "emojivoto", "edges", "deploy", "--destination", destination);
        assertThat(edges.code).as(edges.all()).isZero();
        List<String> edgeLines = edges.out.lines().skip(1).toList();
        assertThat(edgeLines).as(edges.out).anyMatch(l -> l.matches("vote-bot +web +emojivoto +emojivoto +√"))
                .anyMatch(l -> l.matches("web +emoji +emojivoto +emojivoto +√"))
                .anyMatch(l -> l.matches("web +voting +emojivoto +emojivoto +√"))
                .allMatch(l -> l.endsWith("√"));

        Result stop = meshj(60, "demo", "stop", "--data-dir", demoDir.toString());
        assertThat(stop.code).as(stop.all()).isZero();
        assertThat(stop.out).contains("stopped the demo (7 processes)");
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("pid " + pid).isEmpty();
        }
        demoDir = null;
    }

    @Test
    void inTheForegroundASignalStopsEveryPart() throws Exception {
        demoDir = dir.resolve("fg");
        Path log = dir.resolve("fg.log");
        Process demo = new ProcessBuilder(ROOT.resolve("bin/meshj").toString(), "demo", "--data-dir", demoDir.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(200)).until(() -> {
                assertThat(demo.isAlive()).as(Files.readString(log)).isTrue();
                return Files.readString(log).contains("Press Ctrl-C to stop everything.");
            });
            List<Long> pids = new ArrayList<>();
            Matcher p = PID.matcher(Files.readString(log));
            while (p.find()) {
                pids.add(Long.parseLong(p.group(1)));
            }
            assertThat(pids).hasSize(7);
            // SIGTERM to the demo alone, as Ctrl-C's SIGINT would reach it: its children must be stopped by it.
            demo.destroy();
            assertThat(demo.waitFor(60, TimeUnit.SECONDS)).isTrue();
            for (long pid : pids) {
                assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("pid " + pid).isEmpty();
            }
        } finally {
            demo.destroyForcibly();
        }
    }

    private static double percent(String cell) {
        return Double.parseDouble(cell.replace("%", ""));
    }

    private record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private Result meshj(long timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/meshj").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process proc = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!proc.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            proc.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            return new Result(-1, Files.readString(out, StandardCharsets.UTF_8),
                    "(meshj " + String.join(" ", args) + " did not end within " + timeoutSeconds + " s)");
        }
        return new Result(proc.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
