package io.meshj.core.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.ServerCallStreamObserver;
import io.meshj.api.tap.v1.Match;
import io.meshj.api.tap.v1.ObserveRequest;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TapServiceTest {

    private final TapBus bus = TapBus.create();
    // Runs sends inline: the test sees their effect at once.
    private final TapService service = new TapService(bus, Runnable::run);

    @Test
    void sendsTheEventsOfMatchingRequestsAndCompletesAtTheLimit() {
        FakeCall call = new FakeCall();
        service.observe(ObserveRequest.newBuilder().setLimit(1)
                .setMatch(Match.newBuilder().setPathPrefix("/emojivoto.v1.VotingService/")).build(), call);
        publish("/other", 200, -1);
        publish("/emojivoto.v1.VotingService/VoteDoughnut", 200, 2);
        publish("/emojivoto.v1.VotingService/VotePizza", 200, 0);

        assertThat(call.events).hasSize(3);
        io.meshj.api.tap.v1.TapEvent req = call.events.get(0);
        assertThat(req.getRequestInit().getPath()).isEqualTo("/emojivoto.v1.VotingService/VoteDoughnut");
        assertThat(req.getRequestInit().getMethod()).isEqualTo("POST");
        assertThat(req.getSource().getIp()).isEqualTo("10.0.0.1");
        assertThat(req.getDestination().getPort()).isEqualTo(8080);
        assertThat(req.getDestination().getLabelsMap()).containsEntry("deployment", "voting");
        assertThat(req.getProxyDirection()).isEqualTo(io.meshj.api.tap.v1.TapEvent.ProxyDirection.INBOUND);
        assertThat(req.getTls()).isTrue();
        assertThat(call.events.get(1).getResponseInit().getHttpStatus()).isEqualTo(200);
        assertThat(call.events.get(1).getResponseInit().getSinceRequestInit().getNanos()).isEqualTo(478_000);
        assertThat(call.events.get(2).getResponseEnd().getGrpcStatus()).isEqualTo(2);
        assertThat(call.events.get(2).getResponseEnd().getResponseBytes()).isEqualTo(5);
        assertThat(call.events).allMatch(e -> e.getId().equals(req.getId()));
        assertThat(call.completed).isTrue();
        assertThat(bus.hasSubscribers()).isFalse();
    }

    @Test
    void aCallerThatIsNotReadyLosesEventsAndIsToldHowMany() {
        FakeCall call = new FakeCall();
        call.ready = false;
        service.observe(ObserveRequest.getDefaultInstance(), call);
        for (int i = 0; i < 2_000; i++) {
            publish("/" + i, 200, -1);
        }
        assertThat(call.events).isEmpty();
        call.ready = true;
        call.onReady.run();
        assertThat(call.events.get(0).hasLost()).isTrue();
        assertThat(call.events.get(0).getLost().getCount()).isEqualTo(6_000 - 1024);
        assertThat(call.events).hasSize(1 + 1024);
        assertThat(call.completed).isFalse();
    }

    @Test
    void cancellingEndsTheSubscription() {
        FakeCall call = new FakeCall();
        service.observe(ObserveRequest.getDefaultInstance(), call);
        assertThat(bus.hasSubscribers()).isTrue();
        call.onCancel.run();
        assertThat(bus.hasSubscribers()).isFalse();
        publish("/late", 200, -1);
        assertThat(call.events).isEmpty();
    }

    @Test
    void aResetEndCarriesItsReason() {
        FakeCall call = new FakeCall();
        service.observe(ObserveRequest.newBuilder().setLimit(1).build(), call);
        TapEvent.RequestInit req = request("/a");
        TapCall c = bus.requestInit(req);
        c.responseEnd(new TapEvent.ResponseEnd(req.request(), -1, "CANCEL", 1_000, 0));
        assertThat(call.events.get(1).getResponseEnd().getResetError()).isEqualTo("CANCEL");
        assertThat(call.events.get(1).getResponseEnd().hasGrpcStatus()).isFalse();
    }

    private TapEvent.RequestInit request(String path) {
        TapRequest r = bus.request(TapDirection.INBOUND, TapPeer.of(new InetSocketAddress("10.0.0.1", 57202)),
                new TapPeer(new InetSocketAddress("10.0.0.2", 8080), Map.of("deployment", "voting")), true);
        return new TapEvent.RequestInit(r, "POST", "http", "voting-svc.emojivoto:8080", path, List.of());
    }

    private void publish(String path, int status, int grpcStatus) {
        if (!bus.hasSubscribers()) {
            return;
        }
        TapEvent.RequestInit req = request(path);
        TapCall c = bus.requestInit(req);
        c.responseInit(new TapEvent.ResponseInit(req.request(), status, 478_000, List.of()));
        c.responseEnd(new TapEvent.ResponseEnd(req.request(), grpcStatus, null, 7_000, 5));
    }

    /** A server call that records what is sent and lets the test say when it is ready. */
    private static final class FakeCall extends ServerCallStreamObserver<io.meshj.api.tap.v1.TapEvent> {
        final List<io.meshj.api.tap.v1.TapEvent> events = new ArrayList<>();
        boolean ready = true;
        boolean completed;
        Runnable onReady = () -> { };
        Runnable onCancel = () -> { };

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setOnCancelHandler(Runnable r) {
            onCancel = r;
        }

        @Override
        public void setCompression(String compression) {
        }

        @Override
        public boolean isReady() {
            return ready;
        }

        @Override
        public void setOnReadyHandler(Runnable r) {
            onReady = r;
        }

        @Override
        public void request(int count) {
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void onNext(io.meshj.api.tap.v1.TapEvent value) {
            events.add(value);
        }

        @Override
        public void onError(Throwable t) {
            throw new AssertionError(t);
        }

        @Override
        public void onCompleted() {
            completed = true;
        }
    }
}
