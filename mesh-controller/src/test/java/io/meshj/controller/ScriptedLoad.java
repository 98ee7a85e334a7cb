package io.meshj.controller;

import io.meshj.core.testing.KeepAliveHttpClient;
import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The stat tests' load through a proxy: 40 requests a second, one in four to /fail (answered 500 by
 * {@link LocalMeshes#failingApp()}), so the success rate is 75 % and the rate 40 rps. A fixed-rate
 * schedule only hands requests out (the pacing of the load, not a wait for anything); eight workers
 * send them over keep-alive connections, overlapping, because the JDK's test server writes a response's
 * head and body separately (Nagle and delayed ACK cost ~40 ms each).
 */
final class ScriptedLoad implements AutoCloseable {

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final Queue<KeepAliveHttpClient> connections = new ConcurrentLinkedQueue<>();
    private final ExecutorService senders = Executors.newFixedThreadPool(8);
    private final ScheduledExecutorService schedule = Executors.newScheduledThreadPool(1);

    private ScriptedLoad() {
    }

    /** Starts the load to {@code host} through the proxy listening on {@code outboundPort}. */
    static ScriptedLoad start(int outboundPort, String host) {
        ScriptedLoad load = new ScriptedLoad();
        ThreadLocal<KeepAliveHttpClient> connection = new ThreadLocal<>();
        load.schedule.scheduleAtFixedRate(() -> load.senders.execute(() -> {
            long n = load.sent.incrementAndGet();
            try {
                if (connection.get() == null) {
                    connection.set(new KeepAliveHttpClient(outboundPort));
                    load.connections.add(connection.get());
                }
                String r = connection.get().get(host, n % 4 == 0 ? "/fail" : "/");
                if (!r.startsWith(n % 4 == 0 ? "500" : "200")) {
                    load.errors.incrementAndGet();
                }
            } catch (IOException e) {
                load.errors.incrementAndGet();
                connection.remove();
            }
        }), 0, 25, TimeUnit.MILLISECONDS);
        return load;
    }

    /** Requests handed out so far. */
    long sent() {
        return sent.get();
    }

    /** Answers other than the scripted status, and failed exchanges. */
    long errors() {
        return errors.get();
    }

    @Override
    public void close() throws IOException {
        schedule.shutdownNow();
        senders.shutdownNow();
        for (KeepAliveHttpClient c : connections) {
            c.close();
        }
    }
}
