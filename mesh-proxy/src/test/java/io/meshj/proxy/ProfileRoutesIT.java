package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.RequestMatch;
import io.meshj.api.destination.v1.ResponseClass;
import io.meshj.api.destination.v1.ResponseMatch;
import io.meshj.api.destination.v1.Route;
import io.meshj.core.testing.KeepAliveHttpClient;
import io.meshj.proxy.testing.ProfiledProxy;
import io.meshj.proxy.testing.TestBackend;
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

    private ProfiledProxy mesh;
    private TestBackend backend;
    private MeshProxy proxy;

    @AfterEach
    void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    private int start(DestinationProfile profile) throws Exception {
        mesh = ProfiledProxy.start(profile);
        backend = mesh.backend();
        proxy = mesh.proxy();
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
