package io.meshj.proxy.testing;

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

/**
 * A meshj proxy in its own JVM ({@code ProxyMain}, as the sidecar container runs it), so that its
 * memory can be limited and measured apart from the test's. Listeners bind to port 0; the actual ports
 * are read from the proxy's "ready" log line.
 */
public final class ProxyProcess implements AutoCloseable {

    private static final Pattern READY = Pattern.compile(
            "outbound /127\\.0\\.0\\.1:(\\d+), inbound /127\\.0\\.0\\.1:(\\d+), admin /127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final Path log;
    private int outbound;
    private int inbound;
    private int admin;

    private ProxyProcess(List<String> jvmOptions, List<String> args, Path log) throws IOException {
        this.log = log;
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Every buffer the proxy allocates is tracked; close() fails the test on a reported leak.
        command.add("-Dio.netty.leakDetection.level=paranoid");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.meshj.proxy.ProxyMain",
                "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0",
                "--shutdown-grace-period", "1s"));
        command.addAll(args);
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Starts a proxy and waits (up to 30 s) until it reports its listeners. */
    public static ProxyProcess start(Path log, List<String> jvmOptions, String... args) throws IOException {
        ProxyProcess p = new ProxyProcess(jvmOptions, List.of(args), log);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!p.process.isAlive()) {
                throw new AssertionError("proxy exited with " + p.process.exitValue() + ":\n" + p.output());
            }
            Matcher m = READY.matcher(p.output());
            if (m.find()) {
                p.outbound = Integer.parseInt(m.group(1));
                p.inbound = Integer.parseInt(m.group(2));
                p.admin = Integer.parseInt(m.group(3));
                return true;
            }
            return false;
        });
        return p;
    }

    public int outboundPort() {
        return outbound;
    }

    public int inboundPort() {
        return inbound;
    }

    public int adminPort() {
        return admin;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The peak resident set size of the process so far, in bytes (Linux {@code VmHWM}). */
    public long peakRssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmHWM for " + process.pid());
    }

    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException, IOException {
        process.destroy(); // SIGTERM: the proxy drains (1 s grace) and exits
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String output = output();
        if (output.contains("LEAK:")) {
            throw new AssertionError("the proxy leaked buffers:\n" + output);
        }
    }
}
