package io.meshj.core.name;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AuthorityNormalizerTest {

    private final AuthorityNormalizer normalizer = AuthorityNormalizer.builder()
            .namespace("emojivoto")
            .clusterDomain("cluster.local")
            .defaultPort(80)
            .build();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "web-svc,                                   web-svc.emojivoto.svc.cluster.local:80",
        "web-svc:8080,                              web-svc.emojivoto.svc.cluster.local:8080",
        "web-svc.other:8080,                        web-svc.other.svc.cluster.local:8080",
        "web-svc.other.svc:8080,                    web-svc.other.svc.cluster.local:8080",
        "web-svc.other.svc.cluster.local:8080,      web-svc.other.svc.cluster.local:8080",
        "WEB-SVC.Other.svc.cluster.local.:8080,     web-svc.other.svc.cluster.local:8080",
        "api.example.com:443,                       api.example.com:443",
        "a.b.c.d,                                   a.b.c.d:80",
        "10.0.0.7,                                  10.0.0.7:80",
        "[::1]:9,                                   [::1]:9",
    })
    void expandsClusterLocalNames(String input, String expected) {
        assertThat(normalizer.normalize(input)).isEqualTo(Authority.parse(expected));
    }

    @Test
    void allSpellingsOfOneServiceAreEqual() {
        assertThat(normalizer.normalize("web-svc:8080"))
                .isEqualTo(normalizer.normalize("web-svc.emojivoto:8080"))
                .isEqualTo(normalizer.normalize("web-svc.emojivoto.svc:8080"))
                .isEqualTo(normalizer.normalize("web-svc.emojivoto.svc.cluster.local:8080"));
    }

    @Test
    void honoursAnotherClusterDomain() {
        AuthorityNormalizer n = AuthorityNormalizer.builder().clusterDomain("corp.example.").build();
        assertThat(n.normalize("svc.ns")).isEqualTo(Authority.parse("svc.ns.svc.corp.example:80"));
        assertThat(n.normalize("svc.ns.svc.cluster.local")).isEqualTo(Authority.parse("svc.ns.svc.cluster.local:80"));
        assertThat(n.isClusterLocal(Authority.parse("svc.ns"))).isTrue();
        assertThat(n.isClusterLocal(Authority.parse("svc.ns.svc.cluster.local"))).isFalse();
        assertThat(n.isClusterLocal(Authority.parse("10.0.0.1"))).isFalse();
    }

    @Test
    void rejectsBadSettings() {
        assertThatThrownBy(() -> AuthorityNormalizer.builder().namespace("a.b"))
                .hasMessageContaining("single DNS label");
        assertThatThrownBy(() -> AuthorityNormalizer.builder().namespace("a_b"))
                .hasMessageContaining("illegal character '_'");
        assertThatThrownBy(() -> AuthorityNormalizer.builder().defaultPort(0))
                .hasMessageContaining("out of range");
    }
}
