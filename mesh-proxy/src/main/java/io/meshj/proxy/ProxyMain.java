package io.meshj.proxy;

import io.meshj.core.ConfigException;
import io.meshj.core.MeshVersion;
import java.util.Arrays;
import java.util.List;

/**
 * The sidecar's entry point ({@code meshj proxy} delegates here): reads flags and {@code MESHJ_PROXY_*}
 * variables, prints the effective configuration, runs until SIGTERM (or {@code POST /shutdown} on the
 * admin port), then drains for the grace period and exits.
 */
public final class ProxyMain {

    private ProxyMain() {
    }

    public static void main(String[] args) {
        System.exit(run(Arrays.asList(args)));
    }

    /** Held so that the level set on it stays (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger MESHJ_LOGGER = java.util.logging.Logger.getLogger("io.meshj");

    /**
     * Sets meshj's loggers to {@code level}. Libraries (Netty, gRPC) get it too unless it is debug: at
     * debug they log every HTTP/2 frame of the controller channels, which buries meshj's own lines
     * (an original destination per connection, say); {@code trace} opens everything.
     */
    static void setLogLevel(java.util.logging.Level level) {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        boolean debugOnly = level.intValue() < java.util.logging.Level.INFO.intValue()
                && level.intValue() >= java.util.logging.Level.FINE.intValue();
        root.setLevel(debugOnly ? java.util.logging.Level.INFO : level);
        MESHJ_LOGGER.setLevel(level);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(level);
        }
    }

    /** Runs the proxy until it is shut down; returns the process exit code. */
    public static int run(List<String> args) {
        if (ProxyOptions.isHelp(args)) {
            System.out.println("Usage: meshj proxy [--option value]...\n\nOptions:\n" + ProxyOptions.help());
            return 0;
        }
        ProxyConfig config;
        try {
            config = ProxyOptions.parse(args, System.getenv());
        } catch (ConfigException e) {
            System.err.println("meshj proxy: " + e.getMessage());
            return 2;
        }
        setLogLevel(config.julLevel());
        System.out.println("meshj proxy " + MeshVersion.current() + " starting with:\n" + config.describe());
        MeshProxy proxy;
        try {
            proxy = MeshProxy.start(config);
        } catch (ConfigException | IllegalStateException e) {
            System.err.println("meshj proxy: " + e.getMessage());
            return 1;
        }
        Thread hook = new Thread(proxy::shutdown, "meshj-sigterm");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM: drain, and keep the JVM alive until the drain is done.
            hook.run();
            proxy.terminationFuture().join();
        }, "meshj-shutdown-hook"));
        proxy.terminationFuture().join();
        return 0;
    }
}
