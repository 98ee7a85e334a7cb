package io.meshj.core.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceProfileTest {

    @Test
    void pathRegexesMatchInLinearTime() {
        // (a+)+$ backtracks exponentially in java.util.regex on a near-miss; RE2 answers at once.
        RequestMatch m = RequestMatch.PathRegex.of("/(a+)+$");
        assertThat(m.matches("GET", "/" + "a".repeat(60) + "!")).isFalse();
        assertThat(m.matches("GET", "/" + "a".repeat(60))).isTrue();
    }

    @Test
    void firstMatchingRouteWins() {
        ServiceProfile p = ServiceProfile.builder("svc")
                .route(Route.builder("specific").condition(RequestMatch.PathRegex.of("/books/[0-9]+")).build())
                .route(Route.builder("general").condition(RequestMatch.PathRegex.of("/books/.*")).build())
                .build();
        assertThat(p.route("GET", "/books/12").name()).isEqualTo("specific");
        assertThat(p.route("GET", "/books/abc").name()).isEqualTo("general");
        assertThat(p.route("GET", "/authors").name()).isEqualTo(ServiceProfile.DEFAULT_ROUTE_NAME);
    }

    @Test
    void conditionsCombine() {
        RequestMatch getOrHead = new RequestMatch.Any(List.of(new RequestMatch.Method("get"), new RequestMatch.Method("HEAD")));
        RequestMatch notHealth = new RequestMatch.Not(RequestMatch.PathRegex.of("/health"));
        RequestMatch both = new RequestMatch.All(List.of(getOrHead, notHealth));
        assertThat(both.matches("GET", "/x")).isTrue();
        assertThat(both.matches("head", "/x")).isTrue();
        assertThat(both.matches("POST", "/x")).isFalse();
        assertThat(both.matches("GET", "/health")).isFalse();
        assertThat(new RequestMatch.Any(List.of()).matches("GET", "/")).isFalse();
        assertThat(RequestMatch.always().matches("GET", "/")).isTrue();
    }

    @Test
    void responseClassesOverrideTheDefaultInOrder() {
        Route r = Route.builder("r")
                .responseClass(new ResponseClass(new ResponseMatch.Status(503, 503), false))
                .responseClass(new ResponseClass(new ResponseMatch.Status(400, 599), true))
                .build();
        assertThat(r.isFailure(503)).isFalse();
        assertThat(r.isFailure(404)).isTrue();
        assertThat(r.isFailure(500)).isTrue();
        assertThat(r.isFailure(200)).isFalse();
    }

    @Test
    void rejectsDuplicateRouteNamesAndBadValues() {
        ServiceProfile.Builder b = ServiceProfile.builder("svc").route(Route.builder("a").build());
        assertThatThrownBy(() -> b.route(Route.builder("a").build())).hasMessageContaining("duplicate route name \"a\"");
        assertThatThrownBy(() -> Route.builder(" ")).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> new ResponseMatch.Status(0, 700)).hasMessageContaining("not within 100-599");
    }
}
