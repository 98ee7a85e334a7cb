package io.meshj.controller;

import io.meshj.core.testing.KeepAliveHttpClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Open-loop load for the chaos test: GET /r/&lt;n&gt; at a fixed rate, each request handed out on its
 * schedule whether or not earlier ones were answered (a closed loop would slow down exactly when the
 * mesh is in trouble, and hide it), and each recorded with its outcome and the phase it was sent in.
 * A pool of workers (enough for every request a stalled backend may hold) sends them over keep-alive
 * HTTP/1.1 connections to the client's proxy; a connection that failed is dropped, and the next
 * request on that worker opens a new one.
 */
final class OpenLoopLoad implements AutoCloseable {

    /**
     * One request: its number, the phase it was sent in, whether its connection had carried one
     * before, and what came back (an answer, "status body [meshj-proxy-error: ...]", or an exception).
     */
    record Outcome(long id, String phase, boolean reusedConnection, String answer, String exception) {

        boolean ok(String... bodies) {
            if (answer == null) {
                return false;
            }
            for (String b : bodies) {
                if (answer.equals("200 " + b + "\n")) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return "#" + id + " (" + phase + (reusedConnection ? ", reused connection" : ", new connection") + "): "
                    + (answer != null ? answer.strip().replace('\n', ' ') : exception);
        }
    }

    private final AtomicLong sent = new AtomicLong();
    private final Queue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private final Queue<KeepAliveHttpClient> connections = new ConcurrentLinkedQueue<>();
    private final ExecutorService senders = Executors.newFixedThreadPool(128);
    private final ScheduledExecutorService schedule = Executors.newSingleThreadScheduledExecutor();

    private OpenLoopLoad() {
    }

    /** Starts {@code perSecond} GETs a second to {@code host} through the proxy on {@code port}, tagged with {@code phase}. */
    static OpenLoopLoad start(int port, String host, int perSecond, Supplier<String> phase) {
        OpenLoopLoad load = new OpenLoopLoad();
        ThreadLocal<KeepAliveHttpClient> connection = new ThreadLocal<>();
        ThreadLocal<Boolean> used = ThreadLocal.withInitial(() -> false);
        load.schedule.scheduleAtFixedRate(() -> {
            long id = load.sent.incrementAndGet();
            String tag = phase.get();
            load.senders.execute(() -> {
                boolean reused = false;
                try {
                    if (connection.get() == null) {
                        KeepAliveHttpClient c = new KeepAliveHttpClient(port);
                        connection.set(c);
                        used.set(false);
                        load.connections.add(c);
                    }
                    reused = used.get();
                    used.set(true);
                    load.outcomes.add(new Outcome(id, tag, reused, connection.get().get(host, "/r/" + id), null));
                } catch (IOException e) {
                    load.outcomes.add(new Outcome(id, tag, reused, null, e.toString()));
                    KeepAliveHttpClient failed = connection.get();
                    connection.remove();
                    if (failed != null) {
                        try {
                            failed.close();
                        } catch (IOException ignored) {
                            // it failed already
                        }
                    }
                }
            });
        }, 0, 1_000_000 / perSecond, TimeUnit.MICROSECONDS);
        return load;
    }

    /** Requests handed out so far. */
    long sent() {
        return sent.get();
    }

    /** Stops sending, waits (bounded) for the requests under way, and returns every outcome in order. */
    List<Outcome> stop() throws InterruptedException {
        schedule.shutdownNow();
        schedule.awaitTermination(5, TimeUnit.SECONDS);
        senders.shutdown();
        if (!senders.awaitTermination(30, TimeUnit.SECONDS)) {
            throw new AssertionError("requests still unanswered 30 s after the load stopped");
        }
        List<Outcome> all = new ArrayList<>(outcomes);
        all.sort(java.util.Comparator.comparingLong(Outcome::id));
        return all;
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
