package io.meshj.proxy.internal.call;

import io.meshj.core.name.Authority;
import io.meshj.metrics.TcpMetrics;
import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.meshj.proxy.internal.upstream.UpstreamListener;
import io.meshj.proxy.internal.upstream.Upstreams;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Upstreams that are {@link FakeLease}s: each lease is handed out at once, or held until the test
 * {@link #completeHeld() completes} it (a connection being made), or refused like a connection nobody
 * accepts ({@link #refuseNext}).
 */
public final class FakeUpstreams implements Upstreams {

    private final List<FakeLease> leases = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final ArrayDeque<Promise<UpstreamLease>> held = new ArrayDeque<>();
    private final ArrayDeque<FakeLease> heldLeases = new ArrayDeque<>();
    private int refusals;
    private boolean hold;

    /** Leases wait for {@link #completeHeld} from now on. */
    public FakeUpstreams hold() {
        hold = true;
        return this;
    }

    /** The next {@code n} connections fail as refused. */
    public FakeUpstreams refuseNext(int n) {
        refusals = n;
        return this;
    }

    /** Completes the oldest held lease. */
    public FakeLease completeHeld() {
        FakeLease l = heldLeases.poll();
        held.poll().setSuccess(l);
        return l;
    }

    public List<FakeLease> leases() {
        return leases;
    }

    public FakeLease last() {
        return leases.get(leases.size() - 1);
    }

    /** Releases what requests wrote, and fails if one of them did what no upstream allows. */
    public void releaseAll() {
        leases.forEach(FakeLease::releaseAll);
        if (!violations.isEmpty()) {
            throw new AssertionError("requests misused their upstreams: " + violations);
        }
    }

    @Override
    public Future<UpstreamLease> acquire(EventLoop loop, Authority address, String identity, boolean http2,
            UpstreamListener listener, Supplier<TcpMetrics.Connection> meter) {
        if (refusals > 0) {
            refusals--;
            return loop.newFailedFuture(new ConnectException("Connection refused: " + address));
        }
        FakeLease lease = new FakeLease(address, http2, listener, violations);
        leases.add(lease);
        if (hold) {
            Promise<UpstreamLease> p = loop.newPromise();
            held.add(p);
            heldLeases.add(lease);
            return p;
        }
        return loop.newSucceededFuture(lease);
    }

    @Override
    public Future<Channel> connectTcp(EventLoop loop, Authority address, String identity,
            Supplier<TcpMetrics.Connection> meter) {
        return loop.newFailedFuture(new UnsupportedOperationException("no TCP in this fake"));
    }
}
