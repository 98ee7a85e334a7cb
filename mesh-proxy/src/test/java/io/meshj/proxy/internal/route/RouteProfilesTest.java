package io.meshj.proxy.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.discovery.Watch;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.profile.RequestMatch;
import io.meshj.core.profile.ResponseClass;
import io.meshj.core.profile.ResponseMatch;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.core.time.Ticker;
import io.meshj.metrics.MeshMetrics;
import io.meshj.metrics.RouteMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Matching requests to the routes of followed profiles, and what their series record. */
class RouteProfilesTest {

    private static final Route BOOKS = Route.builder("GET /books")
            .condition(new RequestMatch.All(List.of(new RequestMatch.Method("GET"), RequestMatch.PathRegex.of("/books"))))
            .responseClass(new ResponseClass(new ResponseMatch.Status(404, 404), true))
            .build();
    private static final Route AUTHOR = Route.builder("GET /authors/{id}")
            .condition(RequestMatch.PathRegex.of("/authors/\\d+"))
            .responseClass(new ResponseClass(new ResponseMatch.Status(500, 503), false))
            .build();

    /** A fake profile source: watches by name, profiles pushed by the test. */
    private final Map<Authority, Consumer<ServiceProfile>> watches = new HashMap<>();
    private final List<Authority> opened = new ArrayList<>();
    private final List<Authority> closed = new ArrayList<>();
    private final MeshMetrics metrics = MeshMetrics.create();
    private final AuthorityNormalizer normalizer = AuthorityNormalizer.builder().namespace("default").build();
    private final RouteProfiles profiles = new RouteProfiles((name, listener) -> {
        watches.put(name, listener);
        opened.add(name);
        Watch w = () -> closed.add(name);
        return w;
    }, normalizer::normalize, metrics.routes(), Authority.parse("web.default:8080"),
            Ticker.system());

    @AfterEach
    void close() {
        metrics.close();
    }

    private static ServiceProfile webProfile() {
        return ServiceProfile.builder("web.default.svc.cluster.local").route(BOOKS).route(AUTHOR).build();
    }

    @Test
    void requestsMatchTheFirstDeclaredRouteElseTheDefault() {
        RouteProfiles.Profile p = profiles.lookup(false, "web:8080");
        assertThat(p.dst()).isEqualTo("web.default.svc.cluster.local:8080");
        assertThat(p.isReady()).isFalse();
        assertThat(p.route("GET", "/books").name()).isEqualTo(ServiceProfile.DEFAULT_ROUTE_NAME);

        assertThat(p.shouldWait()).isTrue();
        watches.get(Authority.parse("web.default.svc.cluster.local:8080")).accept(webProfile());
        assertThat(p.ready()).isDone();
        assertThat(p.shouldWait()).isFalse();
        assertThat(p.route("GET", "/books")).isSameAs(BOOKS);
        assertThat(p.route("GET", "/books?page=2")).isSameAs(BOOKS);
        assertThat(p.route("GET", "http://web:8080/books?x")).isSameAs(BOOKS);
        assertThat(p.route("POST", "/books")).isSameAs(ServiceProfile.defaultRoute());
        assertThat(p.route("POST", "/authors/7")).isSameAs(AUTHOR);
        assertThat(p.route("GET", "/authors/x")).isSameAs(ServiceProfile.defaultRoute());
        // One watch per destination: the same object again, without a second watch.
        assertThat(profiles.lookup(false, "web:8080")).isSameAs(p);
        assertThat(opened).hasSize(2); // this one and the inbound service's
    }

    @Test
    void everySpellingOfADestinationSharesOneProfileAndOneWatch() {
        opened.clear(); // the inbound profile's own watch, opened with the proxy
        RouteProfiles.Profile p = profiles.lookup(false, "web:8080");
        assertThat(profiles.lookup(false, "web.default:8080")).isSameAs(p);
        assertThat(profiles.lookup(false, "WEB.default.svc.cluster.local:8080")).isSameAs(p);
        assertThat(opened).containsExactly(Authority.parse("web.default.svc.cluster.local:8080"));
    }

    @Test
    void inboundFollowsTheProxysOwnServiceAndIpAuthoritiesHaveNoProfile() {
        RouteProfiles.Profile in = profiles.lookup(true, "10.0.0.1:8080");
        assertThat(in.dst()).isEqualTo("web.default.svc.cluster.local:8080");
        assertThat(profiles.lookup(true, "anything")).isSameAs(in);
        assertThat(profiles.lookup(false, "10.0.0.1:8080")).isNull();
        assertThat(profiles.lookup(false, null)).isNull();
        assertThat(RouteProfiles.NONE.lookup(false, "web:8080")).isNull();
        assertThat(RouteProfiles.NONE.lookup(true, null)).isNull();
        profiles.close();
        assertThat(closed).contains(Authority.parse("web.default.svc.cluster.local:8080"));
    }

    @Test
    void anUnregisteredProxyFollowsInboundTheProfileOfTheServiceEachRequestWasSentTo() {
        opened.clear();
        RouteProfiles unregistered = new RouteProfiles((name, listener) -> {
            opened.add(name);
            return () -> closed.add(name);
        }, normalizer::normalize, metrics.routes(), null, Ticker.system());
        RouteProfiles.Profile in = unregistered.lookup(true, "web.default.svc.cluster.local:8080");
        assertThat(in.dst()).isEqualTo("web.default.svc.cluster.local:8080");
        assertThat(unregistered.lookup(true, "web:8080")).isSameAs(in);
        assertThat(unregistered.lookup(false, "web:8080")).as("outbound is another profile, with its own series")
                .isNotSameAs(in);
        assertThat(unregistered.lookup(true, "10.0.0.1:8080")).isNull();
        assertThat(unregistered.lookup(true, null)).isNull();
        in.series(in.route("GET", "/")).request();
        assertThat(metrics.scrape()).contains("route_request_total{direction=\"inbound\",dst=\"web.default.svc.cluster.local:8080\"} 1.0");
        unregistered.close();
        assertThat(closed).hasSize(2);
    }

    @Test
    void seriesAreCachedPerRouteAndRecordTheRoutesClassification() {
        RouteProfiles.Profile p = profiles.lookup(true, null); // the only watch so far
        watches.get(Authority.parse("web.default.svc.cluster.local:8080")).accept(webProfile());
        RouteMetrics.Series books = p.series(p.route("GET", "/books"));
        assertThat(p.series(BOOKS)).isSameAs(books);
        books.request();
        books.response(404, RouteProfiles.isFailure(BOOKS, 404, -1, null), 3);
        RouteMetrics.Series author = p.series(p.route("GET", "/authors/1"));
        author.request();
        author.response(503, RouteProfiles.isFailure(AUTHOR, 503, -1, null), 3);   // declared a success
        RouteMetrics.Series other = p.series(p.route("GET", "/"));
        other.request();
        other.response(500, RouteProfiles.isFailure(ServiceProfile.defaultRoute(), 500, -1, null), 3);
        other.request();
        other.response(200, RouteProfiles.isFailure(ServiceProfile.defaultRoute(), 200, 14, null), 3); // gRPC UNAVAILABLE
        String s = metrics.scrape();
        String dst = "direction=\"inbound\",dst=\"web.default.svc.cluster.local:8080\"";
        assertThat(s).contains("route_response_total{classification=\"failure\"," + dst + ",rt_route=\"GET /books\",status_code=\"404\"} 1.0");
        assertThat(s).contains("route_response_total{classification=\"success\"," + dst + ",rt_route=\"GET /authors/{id}\",status_code=\"503\"} 1.0");
        assertThat(s).contains("route_response_total{classification=\"failure\"," + dst + ",status_code=\"500\"} 1.0");
        assertThat(s).contains("route_response_total{classification=\"failure\"," + dst + ",status_code=\"200\"} 1.0");
        assertThat(s).contains("route_request_total{" + dst + "} 2.0");
        assertThat(s).contains("route_request_total{" + dst + ",rt_route=\"GET /books\"} 1.0");
        assertThat(RouteProfiles.isFailure(BOOKS, 0, -1, "stream_reset")).isTrue();

        // A new profile: new Route objects, new lookups, the same series for the same names.
        watches.get(Authority.parse("web.default.svc.cluster.local:8080")).accept(webProfile());
        assertThat(p.series(p.route("GET", "/books"))).isSameAs(books);
    }

    @Test
    void aRequestThatGaveUpWaitingLetsTheOthersGoOnWithTheDefaultRouteUntilTheProfileComes() {
        RouteProfiles.Profile p = profiles.lookup(false, "web:8080");
        p.stopWaiting();
        assertThat(p.shouldWait()).isFalse();
        assertThat(p.isReady()).isFalse();
        assertThat(p.route("GET", "/books")).isSameAs(ServiceProfile.defaultRoute());
        watches.get(Authority.parse("web.default.svc.cluster.local:8080")).accept(webProfile());
        assertThat(p.route("GET", "/books")).isSameAs(BOOKS);
    }

    @Test
    void pathsLeaveOutTheQuery() {
        assertThat(RouteProfiles.path("/a/b")).isEqualTo("/a/b");
        assertThat(RouteProfiles.path("/a?b=c")).isEqualTo("/a");
        assertThat(RouteProfiles.path("/a#f")).isEqualTo("/a");
        assertThat(RouteProfiles.path("http://h:80")).isEqualTo("/");
        assertThat(RouteProfiles.path("http://h:80/x?y")).isEqualTo("/x");
        assertThat(RouteProfiles.path("*")).isEqualTo("*");
    }
}
