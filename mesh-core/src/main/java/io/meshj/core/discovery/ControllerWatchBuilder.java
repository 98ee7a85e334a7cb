package io.meshj.core.discovery;

import static java.util.Objects.requireNonNull;

import io.grpc.Channel;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.retry.ExponentialBackoff;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a client of the controller's destination API is built with, for its endpoint watches
 * ({@link DestinationDiscovery}) and its profile watches ({@link ProfileDiscovery}) alike: the channel,
 * how names are completed, the reconnection backoff, the caller's context token and the scheduler
 * that runs reconnections.
 */
public abstract class ControllerWatchBuilder<B extends ControllerWatchBuilder<B>> {

    final Channel channel;
    AuthorityNormalizer normalizer = AuthorityNormalizer.defaults();
    ExponentialBackoff backoff = ExponentialBackoff.builder().min(Duration.ofMillis(100)).max(Duration.ofSeconds(10)).build();
    String contextToken = "";
    ScheduledExecutorService scheduler;

    ControllerWatchBuilder(Channel channel) {
        this.channel = requireNonNull(channel, "channel");
    }

    abstract B self();

    /** How names are completed before they are asked for (namespace, cluster domain, port). */
    public B normalizer(AuthorityNormalizer normalizer) {
        this.normalizer = requireNonNull(normalizer, "normalizer");
        return self();
    }

    /** The delays between reconnection attempts (default 100 ms doubling to 10 s, jittered). */
    public B backoff(ExponentialBackoff backoff) {
        this.backoff = requireNonNull(backoff, "backoff");
        return self();
    }

    /** Who is asking, passed to the controller with every request (e.g. {@code {"ns":"web"}}). */
    public B contextToken(String contextToken) {
        this.contextToken = requireNonNull(contextToken, "contextToken");
        return self();
    }

    /** Runs reconnections (default: a daemon thread of the client's own, stopped by its close). */
    public B scheduler(ScheduledExecutorService scheduler) {
        this.scheduler = requireNonNull(scheduler, "scheduler");
        return self();
    }

    /** True when no scheduler was given: the client makes one ({@link #schedulerOrOwn}) and shuts it down. */
    boolean ownsScheduler() {
        return scheduler == null;
    }

    /** The given scheduler, or a daemon thread named {@code threadName}. */
    ScheduledExecutorService schedulerOrOwn(String threadName) {
        return scheduler != null ? scheduler : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }
}
