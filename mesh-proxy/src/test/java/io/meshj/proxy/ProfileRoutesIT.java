package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.meshj.api.destination.v1.AddressSet;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.RequestMatch;
import io.meshj.api.destination.v1.ResponseClass;
import io.meshj.api.destination.v1.ResponseMatch;
import io.meshj.api.destination.v1.Route;
import io.meshj.api.destination.v1.TcpAddress;
import io.meshj.api.destination.v1.Update;
import io.meshj.api.destination.v1.WeightedAddress;
import io.meshj.core.name.Authority;
import io.meshj.core.testing.KeepAliveHttpClient;
import io.meshj.proxy.testing.TestBackend;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A proxy routing by the service profile a (fake) controller streams: each request is counted on its
 * route with the route's classification, a route's timeout answers 504, and a profile that never comes
 * holds the first request up only briefly.
 */
class ProfileRoutesIT {

    private static final String DST = "dst=\"web.default.svc.cluster.local:80\"";

    private TestBackend backend;
    private Server controller;
    private MeshProxy proxy;

    /** Endpoints: the backend, for any name. Profiles: {@code profile}, or never an answer when null. */
    private final class FakeDestination extends DestinationGrpc.DestinationImplBase {
        private final DestinationProfile profile;

        FakeDestination(DestinationProfile profile) {
            this.profile = profile;
        }

        @Override
        public void get(GetDestination request, StreamObserver<Update> responses) {
            responses.onNext(Update.newBuilder().setAdd(AddressSet.newBuilder().addAddresses(WeightedAddress.newBuilder()
                    .setAddress(TcpAddress.newBuilder().setHost("127.0.0.1").setPort(backend.port())))).build());
        }

        @Override
        public void getProfile(GetDestination request, StreamObserver<DestinationProfile> responses) {
            if (profile != null) {
                responses.onNext(profile);
            }
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (controller != null) {
            controller.shutdownNow();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private int start(DestinationProfile profile) throws Exception {
        backend = TestBackend.start();
        controller = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new FakeDestination(profile)).build().start();
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        proxy = MeshProxy.start(ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any)
                .destination(Authority.of("127.0.0.1", controller.getPort())).build());
        return proxy.outboundAddress().getPort();
    }

    private static RequestMatch path(String regex) {
        return RequestMatch.newBuilder().setPathRegex(regex).build();
    }

    @Test
    void requestsAreCountedOnTheirRouteWithItsClassesAndTimeout() throws Exception {
        int outbound = start(DestinationProfile.newBuilder().setFullyQualifiedName("web.default.svc.cluster.local")
                .addRoutes(Route.newBuilder().setName("status").setCondition(path("/status"))
                        .addResponseClasses(ResponseClass.newBuilder().setIsFailure(true).setCondition(ResponseMatch.newBuilder()
                                .setStatus(ResponseMatch.StatusRange.newBuilder().setMin(404).setMax(404)))))
                .addRoutes(Route.newBuilder().setName("slow").setCondition(path("/slow"))
                        .setTimeout(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000)))
                .build());
        try (KeepAliveHttpClient c = new KeepAliveHttpClient(outbound)) {
            assertThat(c.get("web", "/status?code=200")).startsWith("200");
            assertThat(c.get("web", "/status?code=200")).startsWith("200");
            assertThat(c.get("web", "/status?code=404")).startsWith("404");
            assertThat(c.get("web", "/hello")).startsWith("200");
        }
        try (KeepAliveHttpClient c = new KeepAliveHttpClient(outbound)) {
            assertThat(c.get("web", "/slow?ms=5000")).startsWith("504").contains("200ms (the timeout of route slow)");
        }
        String s = proxy.metrics().scrape();
        assertThat(s).contains("route_request_total{direction=\"outbound\"," + DST + ",rt_route=\"status\"} 3.0")
                .contains("route_request_total{direction=\"outbound\"," + DST + ",rt_route=\"slow\"} 1.0")
                .contains("route_request_total{direction=\"outbound\"," + DST + "} 1.0")
                .contains("route_response_total{classification=\"success\",direction=\"outbound\"," + DST
                        + ",rt_route=\"status\",status_code=\"200\"} 2.0")
                .contains("route_response_total{classification=\"failure\",direction=\"outbound\"," + DST
                        + ",rt_route=\"status\",status_code=\"404\"} 1.0")
                .contains("route_response_total{classification=\"failure\",direction=\"outbound\"," + DST
                        + ",rt_route=\"slow\",status_code=\"504\"} 1.0")
                .contains("route_response_total{classification=\"success\",direction=\"outbound\"," + DST
                        + ",status_code=\"200\"} 1.0")
                .contains("route_response_latency_ms_count{direction=\"outbound\"," + DST + ",rt_route=\"status\",status_code=\"200\"} 2");
    }

    @Test
    void aProfileThatNeverComesHoldsTheFirstRequestUpBrieflyAndTheDefaultRouteTakesIt() throws Exception {
        int outbound = start(null);
        long began = System.nanoTime();
        try (KeepAliveHttpClient c = new KeepAliveHttpClient(outbound)) {
            for (String path : List.of("/hello", "/status?code=500", "/hello", "/hello")) {
                assertThat(c.get("web", path)).startsWith(path.equals("/hello") ? "200" : "500");
            }
        }
        // The first request waited its second; the others did not wait again (four waits: 4 s).
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - began)).isLessThan(java.time.Duration.ofMillis(2500));
        String s = proxy.metrics().scrape();
        assertThat(s).contains("route_request_total{direction=\"outbound\"," + DST + "} 4.0")
                .contains("route_response_total{classification=\"failure\",direction=\"outbound\"," + DST
                        + ",status_code=\"500\"} 1.0");
    }
}
