package io.meshj.core.discovery;

import static java.util.Objects.requireNonNull;

import io.grpc.Channel;
import io.grpc.Status;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.profile.RequestMatch;
import io.meshj.core.profile.ResponseClass;
import io.meshj.core.profile.ResponseMatch;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.core.retry.ExponentialBackoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Service profiles from the controller's {@code GetProfile} streams, as Linkerd's proxy follows its
 * destination controller's profile stream for each service it talks to.
 *
 * <p>The control plane is never on the request path: a stream that fails is reopened after a jittered
 * backoff while the watch keeps its last profile. A watch whose first stream fails before it said
 * anything gets the default profile at once (requests waiting for it go on without routes), and the
 * real one when a later stream brings it. A controller that does not serve profiles (UNIMPLEMENTED)
 * or rejects the name (INVALID_ARGUMENT) is not asked again for this watch.
 *
 * <p>Threading: a watch's listener is called on gRPC's executor or the reconnect thread, one call at a
 * time; it must not block.
 */
public final class ProfileDiscovery implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ProfileDiscovery.class.getName());

    private final DestinationGrpc.DestinationStub stub;
    private final AuthorityNormalizer normalizer;
    private final ExponentialBackoff backoff;
    private final String contextToken;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;

    private ProfileDiscovery(Builder b) {
        this.stub = DestinationGrpc.newStub(b.channel);
        this.normalizer = b.normalizer;
        this.backoff = b.backoff;
        this.contextToken = b.contextToken;
        this.ownsScheduler = b.ownsScheduler();
        this.scheduler = b.schedulerOrOwn("meshj-profile-reconnect");
    }

    /** Profiles over {@code channel} (to the controller's destination port); the caller owns the channel. */
    public static Builder builder(Channel channel) {
        return new Builder(channel);
    }

    /** The name profiles are asked for: {@code authority} completed as discovery completes it. */
    public Authority normalize(Authority authority) {
        return authority.isIpAddress() ? authority : normalizer.normalize(authority);
    }

    /** Follows the profile of {@code authority}; {@code listener} gets the current one, then each change. */
    public Watch watch(Authority authority, Consumer<ServiceProfile> listener) {
        StreamWatch w = new StreamWatch(normalize(requireNonNull(authority, "authority")), requireNonNull(listener, "listener"));
        w.connect();
        return w;
    }

    @Override
    public void close() {
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    private final class StreamWatch implements Watch {
        private final Authority authority;
        private final Consumer<ServiceProfile> listener;
        private StreamAttempt<GetDestination, DestinationProfile> attempt;
        private int failures;
        private boolean delivered;
        private boolean closed;

        StreamWatch(Authority authority, Consumer<ServiceProfile> listener) {
            this.authority = authority;
            this.listener = listener;
        }

        synchronized void connect() {
            if (closed) {
                return;
            }
            attempt = new StreamAttempt<>(this::onProfile, this::onEnded);
            stub.getProfile(GetDestination.newBuilder().setPath(authority.toString()).setContextToken(contextToken).build(),
                    attempt);
        }

        synchronized void onProfile(StreamAttempt<GetDestination, DestinationProfile> from, DestinationProfile p) {
            if (closed || from != attempt) {
                return;
            }
            failures = 0;
            ServiceProfile profile;
            try {
                profile = toProfile(authority.host(), p);
            } catch (RuntimeException e) {
                // A route this proxy cannot apply (a regex Java does not accept): keep what it has.
                LOG.log(System.Logger.Level.WARNING, "ignoring the profile of {0}: {1}", authority, e.getMessage());
                deliverDefaultOnce();
                return;
            }
            delivered = true;
            listener.accept(profile);
        }

        synchronized void onEnded(StreamAttempt<GetDestination, DestinationProfile> from, Status status) {
            if (closed || from != attempt) {
                return;
            }
            attempt = null;
            deliverDefaultOnce();
            if (status.getCode() == Status.Code.UNIMPLEMENTED || status.getCode() == Status.Code.INVALID_ARGUMENT) {
                LOG.log(System.Logger.Level.DEBUG, () -> "no profiles for " + authority + ": " + status);
                return;
            }
            long delay = backoff.delayNanos(failures++);
            try {
                scheduler.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // Closing: nothing to reconnect for.
            }
        }

        private void deliverDefaultOnce() {
            if (!delivered) {
                delivered = true;
                listener.accept(ServiceProfile.empty(authority.host()));
            }
        }

        @Override
        public void close() {
            StreamAttempt<GetDestination, DestinationProfile> a;
            synchronized (this) {
                closed = true;
                a = attempt;
                attempt = null;
            }
            if (a != null) {
                a.cancel();
            }
        }
    }

    /**
     * The profile a {@code DestinationProfile} describes, named {@code name} when it carries no name.
     * A route without a timeout has none (the wire says absent for no limit).
     *
     * @throws IllegalArgumentException for a route or retry budget the core model rejects (an invalid
     *     regex, a ratio out of range)
     */
    public static ServiceProfile toProfile(String name, DestinationProfile p) {
        ServiceProfile.Builder b = ServiceProfile.builder(p.getFullyQualifiedName().isEmpty() ? name : p.getFullyQualifiedName());
        for (io.meshj.api.destination.v1.Route r : p.getRoutesList()) {
            Route.Builder route = Route.builder(r.getName()).condition(requestMatch(r.getCondition()))
                    .retryable(r.getIsRetryable())
                    .timeout(r.hasTimeout() ? Duration.ofSeconds(r.getTimeout().getSeconds(), r.getTimeout().getNanos()) : null);
            for (io.meshj.api.destination.v1.ResponseClass c : r.getResponseClassesList()) {
                route.responseClass(new ResponseClass(responseMatch(c.getCondition()), c.getIsFailure()));
            }
            b.route(route.build());
        }
        if (p.hasRetryBudget()) {
            io.meshj.api.destination.v1.RetryBudget rb = p.getRetryBudget();
            b.retryBudget(new io.meshj.core.retry.RetryBudget.Spec(rb.getRetryRatio(), rb.getMinRetriesPerSecond(),
                    Duration.ofSeconds(rb.getTtl().getSeconds(), rb.getTtl().getNanos())));
        }
        return b.build();
    }

    private static RequestMatch requestMatch(io.meshj.api.destination.v1.RequestMatch m) {
        return switch (m.getMatchCase()) {
            case ALL -> new RequestMatch.All(requestMatches(m.getAll().getMatchesList()));
            case ANY -> new RequestMatch.Any(requestMatches(m.getAny().getMatchesList()));
            case NOT -> new RequestMatch.Not(requestMatch(m.getNot()));
            case PATH_REGEX -> RequestMatch.PathRegex.of(m.getPathRegex());
            case METHOD -> new RequestMatch.Method(m.getMethod());
            // A kind of condition this proxy does not know must not match everything.
            default -> new RequestMatch.Any(List.of());
        };
    }

    private static List<RequestMatch> requestMatches(List<io.meshj.api.destination.v1.RequestMatch> ms) {
        List<RequestMatch> out = new ArrayList<>(ms.size());
        ms.forEach(m -> out.add(requestMatch(m)));
        return out;
    }

    private static ResponseMatch responseMatch(io.meshj.api.destination.v1.ResponseMatch m) {
        return switch (m.getMatchCase()) {
            case ALL -> new ResponseMatch.All(responseMatches(m.getAll().getMatchesList()));
            case ANY -> new ResponseMatch.Any(responseMatches(m.getAny().getMatchesList()));
            case NOT -> new ResponseMatch.Not(responseMatch(m.getNot()));
            case STATUS -> new ResponseMatch.Status(m.getStatus().getMin(), m.getStatus().getMax());
            default -> new ResponseMatch.Any(List.of());
        };
    }

    private static List<ResponseMatch> responseMatches(List<io.meshj.api.destination.v1.ResponseMatch> ms) {
        List<ResponseMatch> out = new ArrayList<>(ms.size());
        ms.forEach(m -> out.add(responseMatch(m)));
        return out;
    }

    /** Builds a {@link ProfileDiscovery}. */
    public static final class Builder extends ControllerWatchBuilder<Builder> {

        private Builder(Channel channel) {
            super(channel);
        }

        @Override
        Builder self() {
            return this;
        }

        public ProfileDiscovery build() {
            return new ProfileDiscovery(this);
        }
    }
}
