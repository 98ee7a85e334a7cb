package io.meshj.bench;

import io.meshj.core.tap.TapBus;
import io.meshj.core.tap.TapCall;
import io.meshj.core.tap.TapDirection;
import io.meshj.core.tap.TapEvent;
import io.meshj.core.tap.TapFilter;
import io.meshj.core.tap.TapPeer;
import io.meshj.core.tap.TapRequest;
import io.meshj.core.tap.TapSubscription;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What tap costs a publisher per request, as the proxy publishes (ProxyTap): check for subscribers,
 * and only if there are, build the request's head (with its headers) and offer it, then its response
 * head and end. {@code state}:
 * <ul>
 *   <li>{@code none}: nobody taps — the cost every request pays always (the issue asks for near zero);
 *   <li>{@code other}: a subscriber whose filter does not match (its method, authority and path are
 *       checked before any event is built);
 *   <li>{@code tapped}: a subscriber that takes every request and keeps up (drained in the same thread);
 *   <li>{@code stalled}: a subscriber that stopped reading — its queue is full, events are dropped.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TapBenchmark {

    @Param({"none", "other", "tapped", "stalled"})
    public String state;

    private TapBus bus;
    private TapSubscription subscription;
    private boolean drain;
    private final InetSocketAddress client = new InetSocketAddress("10.244.6.239", 57202);
    private final InetSocketAddress app = InetSocketAddress.createUnresolved("10.244.1.237", 8080);
    private final Map<String, String> local = Map.of("namespace", "emojivoto", "pod", "voting-5d4c7b9f8-aaaaa",
            "deployment", "voting", "serviceaccount", "voting");
    private final List<Map.Entry<String, String>> headers = List.of(Map.entry("content-type", "application/grpc"),
            Map.entry("te", "trailers"), Map.entry("user-agent", "grpc-go/1.60.0"), Map.entry("grpc-timeout", "1S"),
            Map.entry("host", "voting-svc.emojivoto:8080"));

    @Setup(Level.Trial)
    public void setUp() {
        bus = TapBus.create();
        switch (state) {
            case "other" -> subscription = bus.subscribe(TapFilter.builder().pathPrefix("/nothing/").build()).open();
            case "tapped" -> {
                subscription = bus.subscribe(TapFilter.ALL).open();
                drain = true;
            }
            case "stalled" -> {
                subscription = bus.subscribe(TapFilter.ALL).capacity(16).open();
                for (int i = 0; i < 16; i++) {
                    request();
                }
            }
            default -> { }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (subscription != null) {
            subscription.close();
        }
    }

    @Benchmark
    public Object request() {
        if (!bus.hasSubscribers() || !bus.wantsRequest("POST", "voting-svc.emojivoto:8080",
                "/emojivoto.v1.VotingService/VoteDoughnut")) {
            return null;
        }
        TapRequest r = bus.request(TapDirection.INBOUND, new TapPeer(client, Map.of()), new TapPeer(app, local), true);
        TapCall call = bus.requestInit(new TapEvent.RequestInit(r, "POST", "http", "voting-svc.emojivoto:8080",
                "/emojivoto.v1.VotingService/VoteDoughnut", headers));
        if (call.isTapped()) {
            call.responseInit(new TapEvent.ResponseInit(r, 200, 478_000, List.of()));
            call.responseEnd(new TapEvent.ResponseEnd(r, 0, null, 7_000, 5));
        }
        if (drain) {
            while (subscription.poll() != null) {
                // the subscriber keeps up
            }
        }
        return call;
    }
}
