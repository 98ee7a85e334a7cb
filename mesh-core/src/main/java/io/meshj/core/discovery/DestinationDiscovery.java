package io.meshj.core.discovery;

import static java.util.Objects.requireNonNull;

import io.grpc.Channel;
import io.grpc.Status;
import io.meshj.api.destination.v1.AddressSet;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.Update;
import io.meshj.api.destination.v1.WeightedAddress;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.retry.ExponentialBackoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A {@link DiscoverySource} backed by the meshj controller's Destination API: each watch is a
 * {@code Get} stream.
 *
 * <p>The control plane is never on the request path. When a stream fails, its watch keeps the last
 * endpoints it delivered and reconnects after a jittered exponential backoff (100 ms doubling to 10 s
 * by default), so a controller restart does not send every client back at once. A reconnected stream
 * starts with the whole current answer; the watch compares it with what it had delivered and passes on
 * only the difference, so nothing is lost or delivered twice across the gap. A stream the controller
 * rejects as malformed (INVALID_ARGUMENT) is not retried: the watch says the name does not exist.
 */
public final class DestinationDiscovery implements DiscoverySource {

    private static final System.Logger LOG = System.getLogger(DestinationDiscovery.class.getName());

    private final DestinationGrpc.DestinationStub stub;
    private final AuthorityNormalizer normalizer;
    private final ExponentialBackoff backoff;
    private final String contextToken;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final Set<StreamWatch> watches = ConcurrentHashMap.newKeySet();

    private DestinationDiscovery(Builder b) {
        this.stub = DestinationGrpc.newStub(b.channel);
        this.normalizer = b.normalizer;
        this.backoff = b.backoff;
        this.contextToken = b.contextToken;
        this.ownsScheduler = b.ownsScheduler();
        this.scheduler = b.schedulerOrOwn("meshj-destination-reconnect");
    }

    /** A source over {@code channel} (to the controller's destination port); the caller owns the channel. */
    public static Builder builder(Channel channel) {
        return new Builder(channel);
    }

    @Override
    public Watch watch(Authority authority, DiscoveryListener listener) {
        requireNonNull(authority, "authority");
        requireNonNull(listener, "listener");
        Authority name = authority.isIpAddress() ? authority : normalizer.normalize(authority);
        StreamWatch w = new StreamWatch(name, listener);
        watches.add(w);
        w.connect();
        return w;
    }

    @Override
    public void close() {
        for (StreamWatch w : watches) {
            w.close();
        }
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    /** One watch: a Get stream, reopened after failures for as long as the watch is open. */
    private final class StreamWatch implements Watch {
        private final Authority authority;
        private final DiscoveryListener listener;
        /** What the listener has been told; null before the first update. */
        private EndpointSet delivered;
        private StreamAttempt<GetDestination, Update> attempt;
        private int failures;
        private boolean closed;

        StreamWatch(Authority authority, DiscoveryListener listener) {
            this.authority = authority;
            this.listener = listener;
        }

        synchronized void connect() {
            if (closed) {
                return;
            }
            // Each attempt's view of the service starts from nothing and is built from its own updates.
            EndpointSet[] state = {null};
            attempt = new StreamAttempt<>((from, update) -> {
                EndpointUpdate u = toEndpointUpdate(update);
                if (u == null) {
                    return; // a kind of update this client does not know: nothing it can apply
                }
                boolean first = state[0] == null;
                state[0] = (first ? EndpointSet.empty() : state[0]).apply(u);
                onState(from, state[0], first);
            }, this::onEnded);
            GetDestination request = GetDestination.newBuilder().setPath(authority.toString())
                    .setContextToken(contextToken).build();
            stub.get(request, attempt);
        }

        /** The attempt's view of the service changed to {@code state}: tell the listener the difference. */
        synchronized void onState(StreamAttempt<GetDestination, Update> from, EndpointSet state, boolean first) {
            if (closed || from != attempt) {
                return;
            }
            if (first) {
                failures = 0;
            }
            List<EndpointUpdate> updates;
            if (delivered == null) {
                updates = List.of(state.asInitialUpdate());
            } else {
                updates = delivered.updatesTo(state);
            }
            delivered = state;
            for (EndpointUpdate u : updates) {
                listener.onUpdate(u);
            }
        }

        synchronized void onEnded(StreamAttempt<GetDestination, Update> from, Status status) {
            if (closed || from != attempt) {
                return;
            }
            attempt = null;
            if (status.getCode() == Status.Code.INVALID_ARGUMENT) {
                LOG.log(System.Logger.Level.WARNING, "the controller rejected {0}: {1}", authority, status.getDescription());
                if (delivered == null) {
                    delivered = EndpointSet.empty();
                    listener.onUpdate(new EndpointUpdate.NoEndpoints(false));
                }
                return;
            }
            long delay = backoff.delayNanos(failures++);
            LOG.log(System.Logger.Level.DEBUG, () -> "destination stream for " + authority + " ended (" + status
                    + "); reconnecting in " + Duration.ofNanos(delay).toMillis() + " ms");
            try {
                scheduler.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The source is closing: there is nothing to reconnect for.
            }
        }

        @Override
        public void close() {
            StreamAttempt<GetDestination, Update> a;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                a = attempt;
                attempt = null;
            }
            watches.remove(this);
            if (a != null) {
                a.cancel();
            }
        }
    }

    /** The update as the core model says it; null for a kind of update this client does not know. */
    static EndpointUpdate toEndpointUpdate(Update u) {
        switch (u.getUpdateCase()) {
            case ADD -> {
                AddressSet set = u.getAdd();
                List<Endpoint> endpoints = new ArrayList<>(set.getAddressesCount());
                for (WeightedAddress a : set.getAddressesList()) {
                    endpoints.add(toEndpoint(a, set.getMetricLabelsMap()));
                }
                return new EndpointUpdate.Add(endpoints);
            }
            case REMOVE -> {
                List<Authority> addresses = new ArrayList<>(u.getRemove().getAddressesCount());
                for (WeightedAddress a : u.getRemove().getAddressesList()) {
                    addresses.add(Authority.of(a.getAddress().getHost(), a.getAddress().getPort()));
                }
                return new EndpointUpdate.Remove(addresses);
            }
            case NO_ENDPOINTS -> {
                return new EndpointUpdate.NoEndpoints(u.getNoEndpoints().getExists());
            }
            default -> {
                return null;
            }
        }
    }

    private static Endpoint toEndpoint(WeightedAddress a, Map<String, String> setLabels) {
        Map<String, String> labels = setLabels;
        if (!a.getMetricLabelsMap().isEmpty()) {
            labels = new HashMap<>(setLabels);
            labels.putAll(a.getMetricLabelsMap());
        }
        Endpoint.Builder b = Endpoint.builder(Authority.of(a.getAddress().getHost(), a.getAddress().getPort()))
                .labels(labels)
                .protocolHint(switch (a.getProtocolHint()) {
                    case PROTOCOL_HINT_H2 -> ProtocolHint.H2;
                    case PROTOCOL_HINT_OPAQUE -> ProtocolHint.OPAQUE;
                    default -> ProtocolHint.UNKNOWN;
                })
                .inboundPort(a.getInboundPort());
        if (a.getWeight() > 0) {
            b.weight(a.getWeight());
        }
        if (a.hasTlsIdentity() && !a.getTlsIdentity().getName().isEmpty()) {
            b.tlsIdentity(a.getTlsIdentity().getName());
        }
        return b.build();
    }

    /** Builds a {@link DestinationDiscovery}. */
    public static final class Builder extends ControllerWatchBuilder<Builder> {

        private Builder(Channel channel) {
            super(channel);
        }

        @Override
        Builder self() {
            return this;
        }

        public DestinationDiscovery build() {
            return new DestinationDiscovery(this);
        }
    }
}
