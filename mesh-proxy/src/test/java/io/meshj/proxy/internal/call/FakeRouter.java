package io.meshj.proxy.internal.call;

import io.meshj.core.balance.P2cBalancer;
import io.meshj.core.balance.BalancedEndpoint;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;
import io.meshj.core.time.Ticker;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.route.RouteException;
import io.meshj.proxy.internal.route.Router;
import io.meshj.proxy.internal.route.Target;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes every request to the endpoints it was given, each picked from a real {@link P2cBalancer} of
 * its own (so a test sees the outcomes a request reports: {@link #endpoint}'s pending count and load),
 * round-robin across them (a retry, too, goes to the next); or fails every request with {@link #failWith}.
 */
public final class FakeRouter implements Router {

    private final List<P2cBalancer> balancers = new ArrayList<>();
    private ProxyError failure;
    private int next;
    private final List<Authority> asked = new ArrayList<>();

    public FakeRouter(Ticker ticker, String... endpoints) {
        for (String e : endpoints) {
            P2cBalancer b = P2cBalancer.builder().ticker(ticker).build();
            b.update(List.of(Endpoint.of(e)));
            balancers.add(b);
        }
    }

    /**
     * Each endpoint is meshed from now on: a meshj proxy in front of it (on port 4143) speaks HTTP/2,
     * and its own answers are trusted as a server proxy's.
     */
    public FakeRouter meshed() {
        for (P2cBalancer b : balancers) {
            Endpoint e = b.endpoints().get(0).endpoint();
            b.update(List.of(Endpoint.builder(e.address()).inboundPort(4143).protocolHint(ProtocolHint.H2).build()));
        }
        return this;
    }

    public FakeRouter failWith(ProxyError error) {
        this.failure = error;
        return this;
    }

    /** The balancer's view of endpoint {@code i}. */
    public BalancedEndpoint endpoint(int i) {
        return balancers.get(i).endpoints().get(0);
    }

    /** The authorities requests were routed by, in order (null for none). */
    public List<Authority> asked() {
        return asked;
    }

    /** Every endpoint but the one that failed is another: true with two or more. */
    @Override
    public boolean hasOtherEndpoint(Authority authority, Authority originalDestination, Target failed) {
        return balancers.size() > 1;
    }

    @Override
    public Future<Target> route(Authority authority, Authority endpointHint, Authority originalDestination, EventLoop loop) {
        asked.add(authority);
        if (failure != null) {
            return loop.newFailedFuture(new RouteException(failure, "fake router: " + authority));
        }
        P2cBalancer b = balancers.get(next++ % balancers.size());
        return loop.newSucceededFuture(Target.of(b.pick()));
    }
}
