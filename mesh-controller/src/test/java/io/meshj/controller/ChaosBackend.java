package io.meshj.controller;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The chaos test's application: HTTP/1.1 with keep-alive on loopback, answering every request with
 * its name. It can be made to {@link #holdRequests hold} the requests it receives, so that some are in
 * flight for certain when something happens, and then {@link #answerHeld answer} them, or be
 * {@link #kill killed} as a crashing process dies: the listener goes and every connection is reset
 * (SO_LINGER 0), held requests included, without a byte of their answers. A blocking socket per
 * connection, nothing of the proxy's code: the proxy meets a plain peer.
 */
final class ChaosBackend implements AutoCloseable {

    private final String name;
    private final ServerSocket listener;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "chaos-backend");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    /** The ids (the path's last segment) of the requests held now. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private volatile long lastRequestNanos = System.nanoTime();
    /** Opened to answer what is held, or when killed; null while requests are answered at once. */
    private volatile CountDownLatch gate;
    private volatile boolean killed;

    private ChaosBackend(String name) throws IOException {
        this.name = name;
        this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    static ChaosBackend start(String name) throws IOException {
        return new ChaosBackend(name);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Requests received so far. */
    long received() {
        return received.get();
    }

    /** Requests answered so far. */
    long served() {
        return served.get();
    }

    /** Nanoseconds since the last request arrived (or since the start). */
    long quietNanos() {
        return System.nanoTime() - lastRequestNanos;
    }

    /** From now on, requests are read and not answered until {@link #answerHeld} (or the kill resets them). */
    synchronized void holdRequests() {
        if (gate == null) {
            gate = new CountDownLatch(1);
        }
    }

    /** Answers the requests held, and every request at once from now on. */
    synchronized void answerHeld() {
        CountDownLatch g = gate;
        gate = null;
        if (g != null) {
            g.countDown();
        }
    }

    /** The ids of the requests held now. */
    Set<String> held() {
        return Set.copyOf(held);
    }

    /**
     * Dies as a crashed process would: no more accepts, every connection reset, held requests
     * unanswered. Returns their ids.
     */
    synchronized Set<String> kill() {
        killed = true;
        Set<String> inFlight = held();
        try {
            listener.close();
        } catch (IOException ignored) {
            // closed: that is all that is wanted
        }
        for (Socket s : connections) {
            try {
                s.setSoLinger(true, 0); // a reset, not a FIN: the peer sees its exchange broken
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
        answerHeld(); // they find their connections reset
        return inFlight;
    }

    @Override
    public void close() {
        kill();
        threads.shutdownNow();
    }

    private void accept() {
        while (!listener.isClosed()) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                return; // killed
            }
            connections.add(s);
            threads.execute(() -> serve(s));
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                String requestLine = line(in);
                if (requestLine == null) {
                    return;
                }
                long length = 0;
                for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                    if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Long.parseLong(h.substring(15).strip());
                    }
                }
                in.skipNBytes(length);
                lastRequestNanos = System.nanoTime();
                received.incrementAndGet();
                CountDownLatch g = gate;
                if (g != null) {
                    String path = requestLine.split(" ")[1];
                    String id = path.substring(path.lastIndexOf('/') + 1);
                    held.add(id);
                    g.await(); // the application is busy with it
                    held.remove(id);
                    if (killed) {
                        return; // its connection was reset under it
                    }
                }
                byte[] body = (name + "\n").getBytes(StandardCharsets.US_ASCII);
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                served.incrementAndGet();
            }
        } catch (IOException e) {
            // the peer went, or the kill reset the connection
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            connections.remove(s);
        }
    }

    /** One line without its CRLF, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                return b.length() == 0 ? null : b.toString();
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    /** Waits (bounded) for the threads to go, so nothing outlives the test. */
    void awaitStopped() throws InterruptedException {
        threads.awaitTermination(5, TimeUnit.SECONDS);
    }
}
