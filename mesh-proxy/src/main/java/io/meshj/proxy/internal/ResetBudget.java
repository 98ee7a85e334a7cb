package io.meshj.proxy.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.meshj.core.time.Ticker;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * How many HTTP/2 streams each client may reset after the proxy dispatched them and before their
 * response started, counted across all of the client's connections: a token bucket per client address
 * (a burst of {@code capacity}, refilled at {@code perSecond}). This is the "rapid reset" attack
 * (CVE-2023-44487) spread over many connections: Netty's per-connection limit (200 resets in 30 s) lets
 * 500 connections send ~100,000 requests that the backend must start and the client never waits for.
 * A client whose bucket is empty loses the connection that reset once more (GOAWAY
 * ENHANCE_YOUR_CALM), so what reaches the backend is bounded by the refill rate, not by how many
 * connections the client can open. Streams reset in the same read as their HEADERS never count: they
 * are not dispatched at all (see the HTTP/2 server stream).
 *
 * <p>Legitimate cancellations (gRPC deadlines, a browser navigating away) are far below the defaults
 * (a burst of 1,000, 100 per second sustained per client). Clients are forgotten a minute after their
 * last reset; at most 10,000 are tracked. Thread-safe.
 */
public final class ResetBudget {

    private final Ticker ticker;
    private final double capacity;
    private final double perNano;
    /** By the client's IP address (all its connections, whatever their ports); other addresses as they are. */
    private final Cache<Object, Bucket> buckets;

    public ResetBudget(int capacity, int perSecond, Ticker ticker) {
        this.ticker = ticker;
        this.capacity = capacity;
        this.perNano = perSecond / 1e9;
        this.buckets = Caffeine.newBuilder().maximumSize(10_000).expireAfterAccess(1, TimeUnit.MINUTES)
                .ticker(ticker::nanoTime).build();
    }

    public static ResetBudget defaults(Ticker ticker) {
        return new ResetBudget(1_000, 100, ticker);
    }

    /** Spends one reset of the client at {@code remote}; false when it had none left (its connection is to be closed). */
    public boolean spend(SocketAddress remote) {
        if (remote == null) {
            return true;
        }
        Object client = remote instanceof InetSocketAddress i && i.getAddress() != null ? i.getAddress() : remote;
        Bucket b = buckets.get(client, c -> new Bucket(capacity, ticker.nanoTime()));
        synchronized (b) {
            long now = ticker.nanoTime();
            b.tokens = Math.min(capacity, b.tokens + (now - b.at) * perNano);
            b.at = now;
            if (b.tokens < 1) {
                return false;
            }
            b.tokens -= 1;
            return true;
        }
    }

    private static final class Bucket {
        double tokens;
        long at;

        Bucket(double tokens, long at) {
            this.tokens = tokens;
            this.at = at;
        }
    }
}
