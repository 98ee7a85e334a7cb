package io.meshj.core.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshj.core.ConfigException;
import io.meshj.core.retry.RetryBudget;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServiceProfileParserTest {

    private static final String WEB_PROFILE = """
            apiVersion: meshj.io/v1alpha1
            kind: ServiceProfile
            metadata:
              name: web-svc.emojivoto.svc.cluster.local
              namespace: emojivoto
            spec:
              routes:
              - name: GET /api/list
                condition:
                  method: GET
                  pathRegex: /api/list
              - name: POST /api/vote
                condition:
                  all:
                  - method: POST
                  - pathRegex: /api/vote
                responseClasses:
                - condition:
                    status: {min: 500, max: 599}
                  isFailure: true
                - condition:
                    not: {status: {min: 200, max: 299}}
                  isFailure: true
                isRetryable: true
                timeout: 300ms
              - name: not-a-get
                condition:
                  not: {method: GET}
                  any:
                  - pathRegex: /admin/.*
                  - pathRegex: /debug/.*
                timeout: 1m
              retryBudget:
                retryRatio: 0.3
                minRetriesPerSecond: 5
                ttl: 20s
            """;

    @Test
    void parsesAFullProfile() {
        ServiceProfile p = ServiceProfileParser.parse("web.yml", WEB_PROFILE);
        assertThat(p.name()).isEqualTo("web-svc.emojivoto.svc.cluster.local");
        assertThat(p.routes()).extracting(Route::name).containsExactly("GET /api/list", "POST /api/vote", "not-a-get");
        assertThat(p.retryBudget()).isEqualTo(new RetryBudget.Spec(0.3, 5, Duration.ofSeconds(20)));

        Route list = p.route("GET", "/api/list");
        assertThat(list.name()).isEqualTo("GET /api/list");
        assertThat(list.isRetryable()).isFalse();
        assertThat(list.timeout()).contains(Route.DEFAULT_TIMEOUT);

        Route vote = p.route("POST", "/api/vote");
        assertThat(vote.name()).isEqualTo("POST /api/vote");
        assertThat(vote.isRetryable()).isTrue();
        assertThat(vote.timeout()).contains(Duration.ofMillis(300));
        assertThat(vote.isFailure(503)).isTrue();
        assertThat(vote.isFailure(404)).isTrue();  // second class: anything not 2xx
        assertThat(vote.isFailure(201)).isFalse();

        assertThat(p.route("DELETE", "/admin/users").name()).isEqualTo("not-a-get");
        assertThat(p.route("GET", "/admin/users").name()).isEqualTo(ServiceProfile.DEFAULT_ROUTE_NAME);
        // Path regexes are anchored: a longer path is another route.
        assertThat(p.route("GET", "/api/list/more").name()).isEqualTo(ServiceProfile.DEFAULT_ROUTE_NAME);
    }

    @Test
    void acceptsLinkerdsApiVersionAndMinimalProfiles() {
        ServiceProfile p = ServiceProfileParser.parse("p.yml", """
                apiVersion: linkerd.io/v1alpha2
                kind: ServiceProfile
                metadata: {name: emoji-svc.emojivoto.svc.cluster.local}
                spec: {}
                """);
        assertThat(p.routes()).isEmpty();
        assertThat(p.retryBudget()).isEqualTo(RetryBudget.Spec.DEFAULT);
        Route route = p.route("GET", "/");
        assertThat(route).isSameAs(ServiceProfile.defaultRoute());
        assertThat(route.timeout()).isEmpty();
        assertThat(route.isRetryable()).isFalse();
        assertThat(route.isFailure(500)).isTrue();
        assertThat(route.isFailure(499)).isFalse();
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "spec:\\n  routes:\\n  - name: r\\n    condition: {pathRegex: '/a(b'}\\n | p.yml:8: spec.routes[0].condition.pathRegex: invalid regular expression: missing closing )",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {pathRegex: '(a)\\1'}\\n | p.yml:8: spec.routes[0].condition.pathRegex: invalid regular expression: invalid escape sequence",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {}\\n                | p.yml:8: spec.routes[0].condition: a condition needs at least one of",
        "spec:\\n  routes:\\n  - name: r\\n                                    | p.yml:7: spec.routes[0].condition: required field is missing",
        "spec:\\n  routes:\\n  - condition: {method: GET}\\n                     | p.yml:7: spec.routes[0].name: required field is missing",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {methd: GET}\\n      | p.yml:8: spec.routes[0].condition.methd: unknown field (expected one of all, any, method, not, pathRegex)",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {method: 'G T'}\\n    | p.yml:8: spec.routes[0].condition.method: \"G T\" is not an HTTP method token",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {method: GET}\\n    timeout: 5 seconds\\n | p.yml:9: spec.routes[0].timeout: unknown unit",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {method: GET}\\n    timeout: 0\\n | p.yml:9: spec.routes[0].timeout: timeout must be positive",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {method: GET}\\n    isRetryable: yes\\n | p.yml:9: spec.routes[0].isRetryable: \"yes\" is not true or false",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {method: GET}\\n    responseClasses:\\n    - condition: {status: {min: 700}}\\n | p.yml:10: spec.routes[0].responseClasses[0].condition.status.min: 700 is out of range 100-599",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {method: GET}\\n    responseClasses:\\n    - condition: {status: {min: 500, max: 400}}\\n | p.yml:10: spec.routes[0].responseClasses[0].condition.status: min 500 is greater than max 400",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {method: GET}\\n  - name: r\\n    condition: {method: POST}\\n | p.yml:9: spec.routes[1].name: duplicate route name \"r\" (first at spec.routes[0], line 7)",
        "spec:\\n  routes:\\n  - name: r\\n    condition: {any: []}\\n              | p.yml:8: spec.routes[0].condition.any: must list at least one condition",
        "spec:\\n  retryBudget: {retryRatio: -1}\\n                                   | p.yml:6: spec.retryBudget.retryRatio: -1 is out of range",
        "spec:\\n  retryBudget: {retryRatio: 0.00001}\\n                            | p.yml:6: spec.retryBudget.retryRatio: must be 0 or at least 0.001",
        "spec:\\n  routes:\\n  - name: r\\n    condition: &c {not: *c}\\n        | p.yml:8: an alias refers to a value that contains it",
        "spec:\\n  retryBudget: {ttl: 2m}\\n                                         | p.yml:6: spec.retryBudget.ttl: must be between 1s and 60s",
        "spec:\\n  dstOverrides: []\\n                                               | p.yml:6: spec.dstOverrides: unknown field (expected one of retryBudget, routes)",
    })
    void rejectsInvalidProfilesNamingTheField(String spec, String message) {
        String yaml = "apiVersion: meshj.io/v1alpha1\nkind: ServiceProfile\nmetadata:\n  name: web.ns.svc.cluster.local\n"
                + spec.replace("\\n", "\n");
        assertThatThrownBy(() -> ServiceProfileParser.parse("p.yml", yaml))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void rejectsWrongDocuments() {
        assertThatThrownBy(() -> ServiceProfileParser.parse("p.yml", ""))
                .hasMessage("p.yml:1: empty document, expected a ServiceProfile");
        assertThatThrownBy(() -> ServiceProfileParser.parse("p.yml", "apiVersion: v1\nkind: Service\n"))
                .hasMessageStartingWith("p.yml:1: apiVersion: \"v1\" is not a supported apiVersion");
        assertThatThrownBy(() -> ServiceProfileParser.parse("p.yml", "apiVersion: meshj.io/v1alpha1\nkind: Service\n"))
                .hasMessageStartingWith("p.yml:2: kind: expected kind ServiceProfile");
        assertThatThrownBy(() -> ServiceProfileParser.parse("p.yml",
                "apiVersion: meshj.io/v1alpha1\nkind: ServiceProfile\nmetadata: {name: 'bad name'}\n"))
                .hasMessageStartingWith("p.yml:3: metadata.name: invalid authority");
        assertThatThrownBy(() -> ServiceProfileParser.parse("p.yml", "a: [\n"))
                .hasMessageStartingWith("p.yml:2: invalid YAML");
    }
}
