package io.meshj.controller.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpc.Status;
import io.meshj.api.metrics.v1.Resource;
import io.meshj.api.metrics.v1.RouteRow;
import io.meshj.api.metrics.v1.RoutesRequest;
import io.meshj.api.metrics.v1.RoutesResponse;
import io.meshj.controller.testing.RecordingObserver;
import io.meshj.core.profile.RequestMatch;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.metrics.PrometheusText;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Routes on hand-built scrapes ten seconds apart: web's two pods served two routes and unmatched
 * traffic; vote-bot sent some of it; so every number below is exact.
 */
class RoutesTest {

    private static final String WEB = "web.default.svc.cluster.local";
    private static final ServiceProfile WEB_PROFILE = ServiceProfile.builder(WEB)
            .route(Route.builder("GET /books").condition(RequestMatch.PathRegex.of("/books")).build())
            .route(Route.builder("GET /authors/{id}").condition(RequestMatch.PathRegex.of("/authors/\\d+")).build())
            .build();

    private final MetricsScraper.Target bot = new MetricsScraper.Target("default", "vote-bot-1", "vote-bot", "vote-bot", "u1");
    private final MetricsScraper.Target web1 = new MetricsScraper.Target("default", "web-1", "web", "web", "u2");
    private final MetricsScraper.Target web2 = new MetricsScraper.Target("default", "web-2", "web", "web", "u3");
    private final AtomicLong now = new AtomicLong();
    private MetricsService service;

    @BeforeEach
    void scrapes() {
        MetricsScraper scraper = new MetricsScraper(() -> List.of(bot, web1, web2), Duration.ofSeconds(1),
                Duration.ofMinutes(1), now::get);
        service = new MetricsService(scraper, name -> name.equals(WEB) ? WEB_PROFILE : ServiceProfile.empty(name),
                "cluster.local");
        String in = "direction=\"inbound\",dst=\"" + WEB + ":8080\"";
        String books = in + ",rt_route=\"GET /books\"";
        String out = "direction=\"outbound\",dst=\"" + WEB + ":8080\",rt_route=\"GET /books\"";
        for (int i = 0; i <= 1; i++) {
            now.set(i * 10_000_000_000L);
            scraper.record(web1, scrape(
                    "route_response_total{" + books + ",status_code=\"200\",classification=\"success\"} " + i * 30,
                    "route_response_total{" + books + ",status_code=\"500\",classification=\"failure\"} " + i * 10,
                    "route_response_latency_ms_bucket{" + books + ",status_code=\"200\",le=\"10\"} " + i * 20,
                    "route_response_latency_ms_bucket{" + books + ",status_code=\"200\",le=\"20\"} " + i * 40,
                    "route_response_latency_ms_bucket{" + books + ",status_code=\"200\",le=\"+Inf\"} " + i * 40,
                    "route_response_total{" + in + ",status_code=\"200\",classification=\"success\"} " + i * 5,
                    "route_response_total{" + in + ",status_code=\"503\",classification=\"failure\"} " + i * 5,
                    // The non-route series of the same traffic: not the routes' numbers.
                    "response_total{direction=\"inbound\",classification=\"success\"} " + i * 1000,
                    // What web sent elsewhere: not its inbound routes.
                    "route_response_total{direction=\"outbound\",dst=\"emoji.default.svc.cluster.local:8080\","
                            + "classification=\"success\"} " + i * 70));
            scraper.record(web2, scrape(
                    "route_response_total{" + books + ",status_code=\"200\",classification=\"success\"} " + i * 10));
            scraper.record(bot, scrape(
                    "route_response_total{" + out + ",status_code=\"200\",classification=\"success\"} " + i * 12,
                    "route_response_latency_ms_bucket{" + out + ",status_code=\"200\",le=\"1\"} " + i * 12,
                    "route_response_latency_ms_bucket{" + out + ",status_code=\"200\",le=\"+Inf\"} " + i * 12,
                    // Every attempt: the 12 requests above took 18, six of them failed and were retried.
                    "route_actual_response_total{" + out + ",status_code=\"200\",classification=\"success\"} " + i * 12,
                    "route_actual_response_total{" + out + ",status_code=\"503\",classification=\"failure\"} " + i * 6));
        }
    }

    private MetricsScraper.Scrape scrape(String... lines) {
        return new MetricsScraper.Scrape(now.get(), PrometheusText.parse(String.join("\n", lines) + "\n"));
    }

    private static Resource deploy(String name) {
        return Resource.newBuilder().setType("deploy").setName(name).build();
    }

    private RecordingObserver<RoutesResponse> routes(RoutesRequest.Builder request) {
        RecordingObserver<RoutesResponse> answer = new RecordingObserver<>();
        service.routes(request.build(), answer);
        return answer;
    }

    @Test
    void inboundRoutesOfTheResourcesServiceInDeclaredOrderThenDefault() throws Exception {
        RoutesResponse r = routes(RoutesRequest.newBuilder().setResource(deploy("web"))).next(Duration.ofSeconds(1));
        assertThat(r.getServicesList()).containsExactly("default/web");
        assertThat(r.getServicesWithProfileList()).containsExactly("default/web");
        assertThat(r.getRowsList()).extracting(RouteRow::getRoute, RouteRow::getService)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("GET /books", "web"),
                        org.assertj.core.groups.Tuple.tuple("GET /authors/{id}", "web"),
                        org.assertj.core.groups.Tuple.tuple("[DEFAULT]", "web"));
        RouteRow books = r.getRows(0);
        assertThat(books.getHasTraffic()).isTrue();
        assertThat(books.getSuccessRate()).isCloseTo(40.0 / 50, within(1e-9));
        assertThat(books.getRequestsPerSecond()).isCloseTo(5.0, within(1e-9)); // 4 on web-1 + 1 on web-2
        assertThat(books.getLatencyP50Ms()).isCloseTo(10.0, within(1e-9));
        assertThat(books.getLatencyP95Ms()).isCloseTo(19.0, within(1e-9));
        assertThat(books.getLatencyP99Ms()).isCloseTo(19.8, within(1e-9));
        assertThat(books.getAuthority()).isEqualTo(WEB);
        assertThat(books.getHasActualTraffic()).as("proxies that report no attempts").isFalse();
        assertThat(r.getRows(1).getHasTraffic()).isFalse();
        RouteRow unmatched = r.getRows(2);
        assertThat(unmatched.getSuccessRate()).isCloseTo(0.5, within(1e-9));
        assertThat(unmatched.getRequestsPerSecond()).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void withToTheResourcesOutboundTrafficToTheServicesOfThatResource() throws Exception {
        RoutesResponse r = routes(RoutesRequest.newBuilder().setResource(deploy("vote-bot")).setTo(deploy("web")))
                .next(Duration.ofSeconds(1));
        assertThat(r.getRowsList()).extracting(RouteRow::getRoute).containsExactly("GET /books", "GET /authors/{id}", "[DEFAULT]");
        RouteRow books = r.getRows(0);
        assertThat(books.getSuccessRate()).isEqualTo(1.0);
        assertThat(books.getRequestsPerSecond()).isCloseTo(1.2, within(1e-9));
        assertThat(books.getLatencyP99Ms()).isCloseTo(0.99, within(1e-9));
        assertThat(books.getHasActualTraffic()).isTrue();
        assertThat(books.getActualSuccessRate()).isCloseTo(12.0 / 18, within(1e-9));
        assertThat(books.getActualRequestsPerSecond()).isCloseTo(1.8, within(1e-9));
        assertThat(r.getRows(1).getHasTraffic()).isFalse();
        assertThat(r.getRows(2).getHasTraffic()).isFalse();
    }

    @Test
    void aServiceWithoutAProfileHasNoRowsAndUnknownResourcesAreNotFound() throws Exception {
        RoutesResponse r = routes(RoutesRequest.newBuilder().setResource(deploy("vote-bot"))).next(Duration.ofSeconds(1));
        assertThat(r.getServicesList()).containsExactly("default/vote-bot");
        assertThat(r.getServicesWithProfileList()).isEmpty();
        assertThat(r.getRowsList()).isEmpty();

        RecordingObserver<RoutesResponse> missing = routes(RoutesRequest.newBuilder().setResource(deploy("nope")));
        assertThat(Status.fromThrowable(missing.error()).getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(Status.fromThrowable(missing.error()).getDescription()).isEqualTo("no meshed pods of deploy/nope in namespace default");
        RecordingObserver<RoutesResponse> badType = routes(RoutesRequest.newBuilder()
                .setResource(Resource.newBuilder().setType("cronjob").setName("x")));
        assertThat(Status.fromThrowable(badType.error()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        RecordingObserver<RoutesResponse> noName = routes(RoutesRequest.newBuilder().setResource(deploy("")));
        assertThat(Status.fromThrowable(noName.error()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
}
