package io.meshj.core.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshj.core.testing.FakeTicker;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TapBusTest {

    private final FakeTicker ticker = new FakeTicker();
    private final TapBus bus = TapBus.create(ticker);

    @Test
    void withoutSubscribersNothingIsTapped() {
        assertThat(bus.hasSubscribers()).isFalse();
        assertThat(bus.requestInit(get("/a")).isTapped()).isFalse();
        TapSubscription s = bus.subscribe(TapFilter.ALL).open();
        assertThat(bus.hasSubscribers()).isTrue();
        s.close();
        assertThat(bus.hasSubscribers()).isFalse();
    }

    @Test
    void aTappedRequestsThreeEventsReachItsSubscriberInOrder() {
        TapSubscription s = bus.subscribe(TapFilter.ALL).open();
        TapEvent.RequestInit req = get("/a");
        TapCall call = bus.requestInit(req);
        TapEvent.ResponseInit rsp = new TapEvent.ResponseInit(req.request(), 200, 1_000, List.of());
        TapEvent.ResponseEnd end = new TapEvent.ResponseEnd(req.request(), 0, null, 10, 5);
        call.responseInit(rsp);
        call.responseEnd(end);
        call.responseEnd(end); // a second end is ignored

        assertThat(drain(s)).containsExactly(req, rsp, end);
    }

    @Test
    void filtersPickByMethodAuthorityPathPrefixAndLabelsOfEitherSide() {
        TapSubscription byPath = bus.subscribe(TapFilter.builder().pathPrefix("/emojivoto.v1.VotingService/").build()).open();
        TapSubscription byMethod = bus.subscribe(TapFilter.builder().method("POST").build()).open();
        TapSubscription byAuthority = bus.subscribe(TapFilter.builder().authority("Voting-Svc.emojivoto:8080").build()).open();
        TapSubscription toVoting = bus.subscribe(TapFilter.builder().label("deployment", "voting").build()).open();
        TapSubscription fromWeb = bus.subscribe(TapFilter.builder().label("deployment", "web").label("namespace", "emojivoto").build()).open();
        TapSubscription none = bus.subscribe(TapFilter.builder().label("deployment", "emoji").build()).open();

        TapRequest r = bus.request(TapDirection.OUTBOUND,
                new TapPeer(addr(1), Map.of("deployment", "web", "namespace", "emojivoto")),
                new TapPeer(addr(2), Map.of("deployment", "voting", "namespace", "emojivoto")), true);
        TapEvent.RequestInit vote = new TapEvent.RequestInit(r, "POST", "http", "voting-svc.emojivoto:8080",
                "/emojivoto.v1.VotingService/VoteDoughnut", List.of());
        bus.requestInit(vote);
        bus.requestInit(new TapEvent.RequestInit(r, "GET", "http", "web", "/api/list", List.of()));

        assertThat(drain(byPath)).containsExactly(vote);
        assertThat(drain(byMethod)).containsExactly(vote);
        assertThat(drain(byAuthority)).containsExactly(vote);
        assertThat(drain(toVoting)).hasSize(2);
        assertThat(drain(fromWeb)).hasSize(2);
        assertThat(drain(none)).isEmpty();
    }

    @Test
    void publishersCanTellBeforeBuildingAnEventWhetherAnyoneWantsIt() {
        assertThat(bus.wantsRequest("GET", "web", "/")).isFalse();
        TapSubscription s = bus.subscribe(TapFilter.builder().method("POST").pathPrefix("/rare/").label("deployment", "web").build())
                .limit(1).open();
        assertThat(bus.wantsRequest("GET", "web", "/rare/1")).isFalse();
        assertThat(bus.wantsRequest("POST", "web", "/common")).isFalse();
        assertThat(bus.wantsRequest("POST", null, "/rare/1")).isTrue(); // labels are only known with the event
        TapRequest r = bus.request(TapDirection.INBOUND, TapPeer.UNKNOWN, new TapPeer(null, Map.of("deployment", "web")), false);
        TapCall call = bus.requestInit(new TapEvent.RequestInit(r, "POST", "http", "web", "/rare/1", List.of()));
        call.responseEnd(new TapEvent.ResponseEnd(r, -1, null, 0, 0));
        assertThat(s.isDone()).isTrue();
        assertThat(bus.wantsRequest("POST", "web", "/rare/2")).isFalse(); // its limit is reached
    }

    @Test
    void aLimitAdmitsThatManyRequestsAndIsDoneWhenTheyEnded() {
        TapSubscription s = bus.subscribe(TapFilter.ALL).limit(2).open();
        TapCall a = bus.requestInit(get("/1"));
        TapCall b = bus.requestInit(get("/2"));
        TapCall c = bus.requestInit(get("/3"));
        assertThat(a.isTapped()).isTrue();
        assertThat(b.isTapped()).isTrue();
        assertThat(c.isTapped()).isFalse();
        end(a);
        assertThat(s.isDone()).isFalse();
        end(b);
        assertThat(s.isDone()).isTrue();
        assertThat(drain(s)).hasSize(4);
    }

    @Test
    void maxRpsAdmitsThatManyRequestsPerSecondOfTheTicker() {
        TapSubscription s = bus.subscribe(TapFilter.ALL).maxRps(2).open();
        int admitted = 0;
        for (int i = 0; i < 10; i++) {
            admitted += bus.requestInit(get("/" + i)).isTapped() ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(2); // the bucket starts full: a burst of maxRps
        ticker.advance(Duration.ofMillis(500));
        assertThat(bus.requestInit(get("/x")).isTapped()).isTrue();
        assertThat(bus.requestInit(get("/y")).isTapped()).isFalse();
        ticker.advance(Duration.ofSeconds(10)); // the bucket holds at most maxRps
        admitted = 0;
        for (int i = 0; i < 10; i++) {
            admitted += bus.requestInit(get("/" + i)).isTapped() ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(2);
        s.close();
    }

    @Test
    void aSubscriberThatStopsReadingLosesEventsAndNeverBlocksThePublisher() {
        TapSubscription stalled = bus.subscribe(TapFilter.ALL).capacity(4).open();
        TapSubscription reader = bus.subscribe(TapFilter.ALL).capacity(100_000).open();
        for (int i = 0; i < 10_000; i++) {
            TapEvent.RequestInit req = get("/" + i);
            TapCall call = bus.requestInit(req);
            call.responseInit(new TapEvent.ResponseInit(req.request(), 200, 1, List.of()));
            call.responseEnd(new TapEvent.ResponseEnd(req.request(), -1, null, 1, 0));
        }
        assertThat(stalled.takeLost()).isEqualTo(30_000 - 4);
        assertThat(stalled.takeLost()).isZero();
        assertThat(stalled.lostTotal()).isEqualTo(30_000 - 4);
        assertThat(bus.lostEvents()).isEqualTo(30_000 - 4);
        assertThat(drain(stalled)).hasSize(4);
        assertThat(drain(reader)).hasSize(30_000);
        assertThat(reader.lostTotal()).isZero();
    }

    @Test
    void theListenerIsToldOnceUntilTheReaderFindsTheQueueEmpty() {
        TapSubscription s = bus.subscribe(TapFilter.ALL).open();
        AtomicInteger signals = new AtomicInteger();
        s.onAvailable(signals::incrementAndGet);
        assertThat(signals).hasValue(0);
        bus.requestInit(get("/1"));
        bus.requestInit(get("/2"));
        assertThat(signals).hasValue(1);
        assertThat(s.poll()).isNotNull();
        assertThat(s.poll()).isNotNull();
        assertThat(s.poll()).isNull();
        bus.requestInit(get("/3"));
        assertThat(signals).hasValue(2);
    }

    @Test
    void aClosedSubscriptionGetsNothingMoreEvenForRequestsItTook() {
        TapSubscription s = bus.subscribe(TapFilter.ALL).open();
        TapEvent.RequestInit req = get("/a");
        TapCall call = bus.requestInit(req);
        s.close();
        call.responseInit(new TapEvent.ResponseInit(req.request(), 200, 1, List.of()));
        assertThat(s.poll()).isNull();
        assertThat(s.isClosed()).isTrue();
    }

    @Test
    void idsAreUniquePerBus() {
        TapRequest a = bus.request(TapDirection.INBOUND, TapPeer.UNKNOWN, TapPeer.UNKNOWN, false);
        TapRequest b = bus.request(TapDirection.INBOUND, TapPeer.UNKNOWN, TapPeer.UNKNOWN, false);
        assertThat(a.id()).isNotEqualTo(b.id()).matches("\\d+:\\d+");
    }

    @Test
    void badOptionsAreRefused() {
        assertThatThrownBy(() -> bus.subscribe(TapFilter.ALL).maxRps(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bus.subscribe(TapFilter.ALL).limit(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bus.subscribe(TapFilter.ALL).capacity(0)).isInstanceOf(IllegalArgumentException.class);
    }

    private TapEvent.RequestInit get(String path) {
        TapRequest r = bus.request(TapDirection.INBOUND, TapPeer.of(addr(1)), TapPeer.of(addr(2)), false);
        return new TapEvent.RequestInit(r, "GET", "http", "web.emojivoto:80", path, List.of(Map.entry("user-agent", "test")));
    }

    private static void end(TapCall call) {
        call.responseEnd(new TapEvent.ResponseEnd(new TapRequest("0:0", TapDirection.INBOUND, TapPeer.UNKNOWN,
                TapPeer.UNKNOWN, false), -1, null, 0, 0));
    }

    private static InetSocketAddress addr(int last) {
        return new InetSocketAddress("10.0.0." + last, 8080);
    }

    private static List<TapEvent> drain(TapSubscription s) {
        List<TapEvent> out = new ArrayList<>();
        TapEvent e;
        while ((e = s.poll()) != null) {
            out.add(e);
        }
        return out;
    }
}
