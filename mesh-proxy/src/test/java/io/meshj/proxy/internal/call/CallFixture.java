package io.meshj.proxy.internal.call;

import io.meshj.core.discovery.Watch;
import io.meshj.core.name.Authority;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.core.tap.TapBus;
import io.meshj.core.testing.FakeTicker;
import io.meshj.proxy.ProxyConfig;
import io.meshj.proxy.ProxyConfigBuilder;
import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.internal.ProxyMetrics;
import io.meshj.proxy.internal.route.RouteProfiles;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What a test of the request path needs around a listener, without a socket: a {@link ProxyContext}
 * whose router, upstreams and clock are fakes ({@link FakeRouter}, {@link FakeUpstreams},
 * {@link FakeTicker}), with real metrics and a real tap bus; and {@link EmbeddedChannel}s whose event
 * loops run on the same fake clock, so that timeouts fire when the test moves time, and only then.
 */
public final class CallFixture {

    /** The authority test requests name. */
    public static final String AUTHORITY = "web.default.svc.cluster.local:8080";

    private final FakeTicker ticker = new FakeTicker();
    private final io.netty.util.concurrent.Ticker nettyTicker = new NettyTicker(ticker);
    private final FakeUpstreams upstreams = new FakeUpstreams();
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final TapBus tap = TapBus.create(ticker);
    private final FakeRouter router;
    private final ProxyConfigBuilder config = ProxyConfig.builder();
    private ServiceProfile profile;
    private io.meshj.proxy.internal.ResetBudget resetBudget;

    /** With one endpoint per address in {@code endpoints}, used in turn. */
    public CallFixture(String... endpoints) {
        this.router = new FakeRouter(ticker, endpoints.length == 0 ? new String[] {"10.1.0.1:8080"} : endpoints);
    }

    /** Every destination follows {@code p}, known from the start. */
    public CallFixture profile(ServiceProfile p) {
        this.profile = p;
        return this;
    }

    /** Streams a client may reset before their response, allowed by the budget made here on the fake clock. */
    public CallFixture resetBudget(int capacity, int perSecond) {
        this.resetBudget = new io.meshj.proxy.internal.ResetBudget(capacity, perSecond, ticker);
        return this;
    }

    public CallFixture config(Consumer<ProxyConfigBuilder> c) {
        c.accept(config);
        return this;
    }

    public ProxyContext context(Direction direction) {
        RouteProfiles profiles = profile == null ? RouteProfiles.NONE : new RouteProfiles((Authority name,
                Consumer<ServiceProfile> listener) -> {
            listener.accept(profile);
            Watch w = () -> { };
            return w;
        }, a -> a, metrics.routes(), null, ticker);
        return ProxyContext.builder(direction)
                .router(router)
                .profiles(profiles)
                .upstreams(upstreams)
                .config(config.build())
                .metrics(metrics)
                .tap(tap, java.util.Map.of("namespace", "default", "pod", "web-0"))
                .ticker(ticker)
                .resetBudget(resetBudget)
                .build();
    }

    /** A channel on the fake clock, with {@code handlers}. */
    public EmbeddedChannel channel(ChannelHandler... handlers) {
        return EmbeddedChannel.builder().ticker(nettyTicker).handlers(handlers).build();
    }

    /** Moves time on, and runs what is due on {@code channels}' event loops. */
    public void advance(Duration d, EmbeddedChannel... channels) {
        ticker.advance(d);
        for (EmbeddedChannel ch : channels) {
            ch.runScheduledPendingTasks();
            ch.runPendingTasks();
        }
    }

    public FakeTicker ticker() {
        return ticker;
    }

    public FakeUpstreams upstreams() {
        return upstreams;
    }

    public FakeRouter router() {
        return router;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    public TapBus tap() {
        return tap;
    }

    /** The sum of the series named {@code name} whose labels contain every one of {@code fragments}. */
    public double metric(String name, String... fragments) {
        double sum = 0;
        for (String line : metrics.scrape().split("\n")) {
            if (!line.startsWith(name + "{")) {
                continue;
            }
            boolean all = true;
            for (String f : fragments) {
                all &= line.contains(f);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Netty's view of the fake clock, for the channels' event loops. */
    private static final class NettyTicker implements io.netty.util.concurrent.Ticker {
        private final FakeTicker ticker;
        private final long initial;

        NettyTicker(FakeTicker ticker) {
            this.ticker = ticker;
            this.initial = ticker.nanoTime();
        }

        @Override
        public long initialNanoTime() {
            return initial;
        }

        @Override
        public long nanoTime() {
            return ticker.nanoTime() - initial;
        }

        @Override
        public void sleep(long delay, TimeUnit unit) {
            ticker.advanceNanos(unit.toNanos(delay));
        }
    }
}
