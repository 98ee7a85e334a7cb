package io.meshj.proxy.internal.route;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.meshj.core.balance.P2cBalancer;
import io.meshj.core.balance.Pick;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.discovery.ResolutionCache;
import io.meshj.core.discovery.Watch;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.time.Ticker;
import io.meshj.proxy.internal.ProxyError;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Outbound routing: the request's authority is normalised, resolved through discovery, and balanced
 * over its endpoints with P2C / peak-EWMA; a known service with no endpoints is a 503.
 *
 * <p>A name discovery does not know goes to the connection's original destination when iptables
 * redirected it (where the application connected is a better guess than a Host header no service
 * claims), else it is dialed as written (the application may talk to things outside the mesh).
 * Without any name — opaque TCP — the original destination is the only one. An original destination
 * is itself looked up by {@code IP:port}: an endpoint the controller knows there (a registered workload,
 * a pod, a Service's cluster IP) is balanced and reached as any meshed endpoint (mTLS to its proxy);
 * an address nobody claims is dialed directly, in plaintext.
 *
 * <p>One balancer per service, kept while the service is in use and dropped (with its discovery
 * subscription) after {@link #IDLE_TIMEOUT} without requests, as Linkerd's proxy does.
 */
public final class OutboundRouter implements Router, AutoCloseable {

    /** How long a service's balancer lives without requests. */
    static final Duration IDLE_TIMEOUT = Duration.ofMinutes(10);
    /** How long a request waits for discovery's first answer about a new name. */
    static final Duration DISCOVERY_TIMEOUT = Duration.ofSeconds(5);

    private final DiscoverySource source;
    private final ResolutionCache resolutions;
    private final AuthorityNormalizer normalizer;
    private final Ticker ticker;
    private final Cache<Authority, Service> services;

    /**
     * @param source where endpoints come from, or {@code null} to dial every name as written
     */
    public OutboundRouter(DiscoverySource source, AuthorityNormalizer normalizer) {
        this(source, normalizer, Ticker.system());
    }

    /**
     * @param source where endpoints come from, or {@code null} to dial every name as written
     * @param ticker the clock of the balancers' load estimates, of resolutions and of idle services
     */
    public OutboundRouter(DiscoverySource source, AuthorityNormalizer normalizer, Ticker ticker) {
        this.source = source;
        this.normalizer = requireNonNull(normalizer, "normalizer");
        this.ticker = requireNonNull(ticker, "ticker");
        this.resolutions = source == null ? null : ResolutionCache.builder(source).ticker(ticker).build();
        this.services = Caffeine.newBuilder()
                .ticker(ticker::nanoTime)
                .expireAfterAccess(IDLE_TIMEOUT)
                .executor(Runnable::run)
                .<Authority, Service>removalListener((Authority k, Service v, RemovalCause c) -> {
                    if (v != null) {
                        v.close();
                    }
                })
                .build();
    }

    @Override
    public Future<Target> route(Authority authority, Authority endpointHint, Authority originalDestination, EventLoop loop) {
        return routeAvoiding(authority, originalDestination, null, loop);
    }

    @Override
    public Future<Target> reroute(Authority authority, Authority endpointHint, Authority originalDestination,
            Target failed, EventLoop loop) {
        return routeAvoiding(authority, originalDestination, failed.pick() == null ? null : failed.endpoint(), loop);
    }

    @Override
    public boolean hasOtherEndpoint(Authority authority, Authority originalDestination, Target failed) {
        if (source == null || failed.pick() == null) {
            return false;
        }
        Authority key = authority != null ? normalizer.normalize(authority) : originalDestination;
        Service service = key == null ? null : services.getIfPresent(key);
        if (service == null) {
            return false;
        }
        for (io.meshj.core.endpoint.Endpoint e : service.endpoints.endpoints()) {
            if (!e.address().equals(failed.endpoint())) {
                return true;
            }
        }
        return false;
    }

    /** Routes a request, avoiding the endpoint at {@code avoid} (null: none) while another may take it. */
    private Future<Target> routeAvoiding(Authority authority, Authority originalDestination, Authority avoid, EventLoop loop) {
        if (authority == null) {
            if (originalDestination != null) {
                return routeOriginal(originalDestination, loop);
            }
            return loop.newFailedFuture(new RouteException(ProxyError.NO_AUTHORITY,
                    "nothing names the destination and the connection was not redirected"
                            + " (set --outbound-tcp-target for opaque traffic)"));
        }
        Authority dialable = authority.withDefaultPort(normalizer.defaultPort());
        if (source == null) {
            return loop.newSucceededFuture(Target.direct(originalDestination != null ? originalDestination : dialable));
        }
        Authority key = normalizer.normalize(authority);
        Service service = services.get(key, Service::new);
        service.startIfNeeded();
        return service.route(dialable, originalDestination, avoid, loop);
    }

    /** The original destination: the endpoint discovery knows at that address, else the address itself. */
    private Future<Target> routeOriginal(Authority address, EventLoop loop) {
        if (source == null) {
            return loop.newSucceededFuture(Target.direct(address));
        }
        Service service = services.get(address, Service::new);
        service.startIfNeeded();
        return service.route(address, null, null, loop);
    }

    @Override
    public void close() {
        services.invalidateAll();
        services.cleanUp();
        if (resolutions != null) {
            resolutions.close();
        }
    }

    /** One service: its balancer, fed by a discovery subscription, and requests waiting for discovery. */
    private final class Service implements Consumer<EndpointSet> {
        private final Authority name;
        private final P2cBalancer balancer = P2cBalancer.builder().ticker(ticker).build();
        private final AtomicBoolean started = new AtomicBoolean();
        private volatile EndpointSet endpoints = EndpointSet.empty();
        private volatile boolean resolved;
        private volatile Watch subscription;
        private volatile boolean closed;
        // Guarded by this.
        private List<Waiter> waiters = new ArrayList<>();

        Service(Authority name) {
            this.name = name;
        }

        void startIfNeeded() {
            if (started.compareAndSet(false, true)) {
                subscription = resolutions.subscribe(name, this);
                if (closed) {
                    subscription.close();
                }
            }
        }

        @Override
        public void accept(EndpointSet set) {
            balancer.update(set);
            endpoints = set;
            List<Waiter> ready;
            synchronized (this) {
                resolved = true;
                ready = waiters;
                waiters = List.of();
            }
            for (Waiter w : ready) {
                w.loop.execute(() -> complete(w.promise, w.authority, w.originalDestination, w.avoid, w.loop));
            }
        }

        Future<Target> route(Authority dialable, Authority originalDestination, Authority avoid, EventLoop loop) {
            if (!resolved) {
                Promise<Target> promise = loop.newPromise();
                synchronized (this) {
                    if (!resolved) {
                        waiters.add(new Waiter(promise, dialable, originalDestination, avoid, loop));
                        loop.schedule(() -> promise.tryFailure(new RouteException(ProxyError.NO_ENDPOINTS,
                                "discovery has not answered for " + name)), DISCOVERY_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
                        return promise;
                    }
                }
            }
            Promise<Target> promise = loop.newPromise();
            complete(promise, dialable, originalDestination, avoid, loop);
            return promise;
        }

        private void complete(Promise<Target> promise, Authority dialable, Authority originalDestination, Authority avoid,
                EventLoop loop) {
            EndpointSet set = endpoints;
            if (!set.exists()) {
                if (originalDestination != null && !originalDestination.equals(name)) {
                    routeOriginal(originalDestination, loop).addListener((Future<Target> f) -> {
                        if (!f.isSuccess()) {
                            promise.tryFailure(f.cause());
                        } else if (!promise.trySuccess(f.getNow())) {
                            f.getNow().onCancel();
                        }
                    });
                    return;
                }
                promise.trySuccess(Target.direct(dialable));
                return;
            }
            Pick pick = balancer.pick(avoid);
            if (pick == null) {
                promise.tryFailure(new RouteException(ProxyError.NO_ENDPOINTS, name.toString()));
                return;
            }
            if (!promise.trySuccess(Target.of(pick))) {
                pick.onCancel();
            }
        }

        void close() {
            closed = true;
            Watch w = subscription;
            if (w != null) {
                w.close();
            }
        }
    }

    private record Waiter(Promise<Target> promise, Authority authority, Authority originalDestination, Authority avoid,
            EventLoop loop) {
    }
}
