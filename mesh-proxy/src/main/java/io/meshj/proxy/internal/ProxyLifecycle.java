package io.meshj.proxy.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * What both listeners of one proxy share about the proxy itself: the requests in flight (shutdown waits
 * for them), whether it is draining, where its own listeners are bound (so that nothing is ever
 * forwarded back into it), and the bounds on its work: how many client connections it holds at most,
 * and whether its heap says to refuse more ({@link HeapGuard}). Thread-safe.
 */
public final class ProxyLifecycle {

    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;
    private volatile List<InetSocketAddress> listeners = List.of();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile int maxConnections = Integer.MAX_VALUE;
    private volatile BooleanSupplier overloaded = () -> false;

    /** Bounds the client connections of both listeners together, and refuses work while {@code overloaded} says. */
    public void limits(int maxConnections, BooleanSupplier overloaded) {
        this.maxConnections = maxConnections;
        this.overloaded = overloaded;
    }

    /**
     * Counts a new client connection in, or refuses it (false): the limit is reached, or the heap is
     * too full. A connection counted in must be {@link #connectionClosed counted out}.
     */
    public boolean tryAcceptConnection() {
        if (overloaded.getAsBoolean()) {
            return false;
        }
        if (connections.incrementAndGet() > maxConnections) {
            connections.decrementAndGet();
            return false;
        }
        return true;
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    /** Client connections open on both listeners. */
    public int connections() {
        return connections.get();
    }

    public int maxConnections() {
        return maxConnections;
    }

    /** True while the heap is too full for new work: new requests are refused with 503. */
    public boolean isOverloaded() {
        return overloaded.getAsBoolean();
    }

    public void callStarted() {
        inFlight.incrementAndGet();
    }

    public void callEnded() {
        inFlight.decrementAndGet();
    }

    /** Requests in flight on all listeners. */
    public int inFlight() {
        return inFlight.get();
    }

    /** True once shutdown began: HTTP/1 responses carry {@code Connection: close}. */
    public boolean isDraining() {
        return draining;
    }

    public void startDraining() {
        draining = true;
    }

    /** Records where the proxy's own listeners are bound, for {@link #isSelf}. */
    public void setListeners(List<InetSocketAddress> addresses) {
        this.listeners = List.copyOf(addresses);
    }

    /**
     * True when {@code remote} is one of this proxy's own listeners (a request whose authority names the
     * proxy itself, or an application port that is the inbound port): forwarding there would loop.
     */
    public boolean isSelf(SocketAddress remote) {
        if (!(remote instanceof InetSocketAddress r) || r.getAddress() == null) {
            return false;
        }
        for (InetSocketAddress l : listeners) {
            if (l.getPort() == r.getPort() && (l.getAddress().isAnyLocalAddress() ? isLocal(r.getAddress())
                    : l.getAddress().equals(r.getAddress()))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLocal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
