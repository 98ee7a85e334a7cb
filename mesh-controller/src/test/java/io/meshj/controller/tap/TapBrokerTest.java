package io.meshj.controller.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.meshj.api.tap.v1.Match;
import io.meshj.api.tap.v1.ObserveRequest;
import io.meshj.api.tap.v1.TapEvent;
import io.meshj.api.tap.v1.TapGrpc;
import io.meshj.core.tap.TapBus;
import io.meshj.core.tap.TapCall;
import io.meshj.core.tap.TapDirection;
import io.meshj.core.tap.TapPeer;
import io.meshj.core.tap.TapService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The broker against real tap servers on loopback (each over its own TapBus): it picks the asked
 * resource's workloads, merges their streams with unique ids and observers, counts the limit across
 * them, and says clearly when there is nothing (or nothing reachable) to tap.
 */
class TapBrokerTest {

    private final ExecutorService sender = Executors.newSingleThreadExecutor();
    private final List<Server> servers = new ArrayList<>();
    private final List<TapTarget> targets = new ArrayList<>();
    private TapBus web1;
    private TapBus web2;
    private TapBus vote;
    private Server broker;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        web1 = serve("web-1", "web");
        web2 = serve("web-2", "web");
        vote = serve("voting-1", "voting");
        broker = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new TapBroker(() -> targets, TapBroker.channels(null, null))).build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", broker.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        broker.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        for (Server s : servers) {
            s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        sender.shutdownNow();
    }

    private TapBus serve(String pod, String deployment) throws IOException {
        TapBus bus = TapBus.create();
        Server s = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new TapService(bus, sender)).build().start();
        servers.add(s);
        targets.add(new TapTarget("emojivoto", pod, deployment, deployment + "-svc", "127.0.0.1", s.getPort(), null));
        return bus;
    }

    @Test
    void aDeploymentsWorkloadsAreMergedWithUniqueIdsUpToTheLimit() throws Exception {
        List<TapEvent> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        TapGrpc.newStub(channel).observe(ObserveRequest.newBuilder().setNamespace("emojivoto")
                .setResourceType("deploy").setResourceName("web").setLimit(3).build(), new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(TapEvent e) {
                        got.add(e);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        await().atMost(Duration.ofSeconds(10)).until(() -> web1.hasSubscribers() && web2.hasSubscribers());
        assertThat(vote.hasSubscribers()).isFalse();

        // One request at a time: the workloads' streams race each other, and the limit counts arrivals.
        String[][] requests = {{"1", "/a"}, {"2", "/b"}, {"1", "/c"}};
        for (int i = 0; i < requests.length; i++) {
            request(requests[i][0].equals("1") ? web1 : web2, requests[i][1]);
            int expected = 3 * (i + 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> got.size() >= expected);
        }
        done.get(10, TimeUnit.SECONDS); // the limit ended the stream by itself
        assertThat(got).hasSize(9);
        List<TapEvent> inits = got.stream().filter(TapEvent::hasRequestInit).toList();
        assertThat(inits).extracting(e -> e.getRequestInit().getPath()).containsExactly("/a", "/b", "/c");
        assertThat(inits).extracting(TapEvent::getObserver)
                .containsExactly("emojivoto/web-1", "emojivoto/web-2", "emojivoto/web-1");
        assertThat(inits).extracting(TapEvent::getId).containsExactly("0:1", "1:1", "0:2");
        await().atMost(Duration.ofSeconds(10)).until(() -> !web1.hasSubscribers() && !web2.hasSubscribers());
    }

    @Test
    void aNamespaceTapsEveryWorkloadInIt() throws Exception {
        CompletableFuture<List<TapEvent>> events = observe(ObserveRequest.newBuilder()
                .setResourceType("ns").setResourceName("emojivoto").setLimit(1)
                .setMatch(Match.newBuilder().setPathPrefix("/vote")).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> web1.hasSubscribers() && web2.hasSubscribers()
                && vote.hasSubscribers());
        request(web1, "/list");
        request(vote, "/vote");
        assertThat(events.get(10, TimeUnit.SECONDS)).extracting(TapEvent::getObserver).containsOnly("emojivoto/voting-1");
    }

    @Test
    void unknownTypesAndResourcesWithoutWorkloadsAreClearErrors() {
        assertThatThrownBy(() -> observe(ObserveRequest.newBuilder().setResourceType("cronjob").build()).join())
                .hasRootCauseInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("unknown resource type \"cronjob\"");
        assertThatThrownBy(() -> observe(ObserveRequest.newBuilder().setNamespace("emojivoto")
                .setResourceType("deploy").setResourceName("emoji").build()).join())
                .hasMessageContaining("NOT_FOUND").hasMessageContaining("no tappable workload for deploy/emoji in namespace emojivoto");
    }

    @Test
    void aTapOfWorkloadsNoneOfWhichAnswersFailsNamingThem() throws Exception {
        targets.clear();
        targets.add(new TapTarget("emojivoto", "gone-1", "gone", "gone-svc", "127.0.0.1", deadPort(), null));
        assertThatThrownBy(() -> observe(ObserveRequest.newBuilder().setNamespace("emojivoto")
                .setResourceType("deploy").setResourceName("gone").build()).join())
                .hasMessageContaining("UNAVAILABLE").hasMessageContaining("cannot tap emojivoto/gone-1");
    }

    private CompletableFuture<List<TapEvent>> observe(ObserveRequest request) {
        return CompletableFuture.supplyAsync(() -> {
            List<TapEvent> out = new ArrayList<>();
            Iterator<TapEvent> it = TapGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS).observe(request);
            it.forEachRemaining(out::add);
            return out;
        });
    }

    private static void request(TapBus bus, String path) {
        // As a proxy does: nothing is built while nobody taps (a test that publishes to nobody is wrong).
        var r = bus.request(TapDirection.INBOUND, TapPeer.of(new InetSocketAddress("10.0.0.9", 40000)),
                new TapPeer(new InetSocketAddress("10.0.0.1", 8080), Map.of()), true);
        var init = new io.meshj.core.tap.TapEvent.RequestInit(r, "GET", "http", "web-svc.emojivoto:80", path, List.of());
        TapCall call = bus.requestInit(init);
        call.responseInit(new io.meshj.core.tap.TapEvent.ResponseInit(r, 200, 1_000, List.of()));
        call.responseEnd(new io.meshj.core.tap.TapEvent.ResponseEnd(r, -1, null, 1_000, 3));
    }

    private static int deadPort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
