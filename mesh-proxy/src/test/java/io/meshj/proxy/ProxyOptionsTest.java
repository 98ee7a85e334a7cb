package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshj.core.ConfigException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProxyOptionsTest {

    @Test
    void defaultsMatchTheDesign() {
        ProxyConfig c = ProxyOptions.parse(List.of(), Map.of());
        assertThat(c.outboundListen()).isEqualTo(new InetSocketAddress("127.0.0.1", 4140));
        assertThat(c.inboundListen()).isEqualTo(new InetSocketAddress("0.0.0.0", 4143));
        assertThat(c.adminListen()).isEqualTo(new InetSocketAddress("0.0.0.0", 4191));
        assertThat(c.opaquePorts()).containsExactlyInAnyOrder(25, 587, 3306, 4444, 5432, 6379, 9300, 11211);
        assertThat(c.detectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.maxHeaderBytes()).isEqualTo(65536);
        assertThat(c.requestTimeout()).isEmpty();
    }

    @Test
    void flagsOverrideTheEnvironment() {
        ProxyConfig c = ProxyOptions.parse(
                List.of("--app-ports", "8080,9090", "--detect-timeout=250ms", "--opaque-ports", ""),
                Map.of("MESHJ_PROXY_APP_PORTS", "1", "MESHJ_PROXY_NAMESPACE", "emojivoto", "PATH", "/bin"));
        assertThat(c.appPorts()).containsExactly(8080, 9090);
        assertThat(c.namespace()).isEqualTo("emojivoto");
        assertThat(c.detectTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.opaquePorts()).isEqualTo(Set.of());
    }

    @Test
    void errorsNameTheFlagOrVariableAndTheValue() {
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--opaque-ports", "25,x"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--opaque-ports: \"25,x\": \"x\" is not a port");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of(), Map.of("MESHJ_PROXY_DETECT_TIMEOUT", "10 sec")))
                .hasMessageStartingWith("MESHJ_PROXY_DETECT_TIMEOUT: \"10 sec\": unknown unit");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--inbound-listen", "pod:4143"), Map.of()))
                .hasMessageContaining("listen addresses must be IP literals");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--nope", "1"), Map.of()))
                .hasMessage("--nope: unknown option (see --help)");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--namespace"), Map.of()))
                .hasMessage("--namespace: missing value");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("stray"), Map.of()))
                .hasMessageStartingWith("stray: unexpected argument");
    }

    @Test
    void registeringNeedsTheControllerAndOneOfTheAppPorts() {
        ProxyConfig c = ProxyOptions.parse(List.of("--destination", "127.0.0.1:8086", "--app-ports", "8080",
                "--register", "web.emojivoto:8080", "--service-account", "web", "--workload-name", "web-1",
                "--identity-token-file", "/var/run/meshj/token"), Map.of());
        assertThat(c.register()).hasValue(io.meshj.core.name.Authority.parse("web.emojivoto:8080"));
        assertThat(c.describe()).contains("register = web.emojivoto:8080 at 127.0.0.1 as web-1 (service account web)");

        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--app-ports", "8080", "--register", "web.emojivoto:8080"),
                Map.of())).hasMessageContaining("register needs destination");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--destination", "127.0.0.1:8086", "--app-ports", "8080",
                "--register", "web.emojivoto:9090"), Map.of())).hasMessageContaining("port 9090 is not one of app-ports");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--destination", "127.0.0.1:8086", "--app-ports", "8080",
                "--register", "web:8080"), Map.of())).hasMessageContaining("expected <service>.<namespace>:<app port>");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--destination", "127.0.0.1:8086", "--app-ports", "8080",
                "--register", "web.emojivoto:8080"), Map.of())).hasMessageContaining("register needs identity-token-file");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--destination", "127.0.0.1:8086", "--app-ports", "8080",
                "--register", "web.emojivoto:8080", "--identity-token-file", "t", "--identity", "127.0.0.1:8080",
                "--trust-anchors", "a.pem", "--namespace", "default"), Map.of()))
                .hasMessageContaining("another namespace than the proxy's identity");
    }

    @Test
    void aClientRegistersWithoutAnEndpoint() {
        ProxyConfig c = ProxyOptions.parse(List.of("--destination", "127.0.0.1:8086", "--register-client", "true",
                "--service-account", "bot", "--workload-name", "bot-1", "--identity-token-file", "t"), Map.of());
        assertThat(c.registerClient()).isTrue();
        assertThat(c.describe()).contains("register = a client (no endpoint) at 127.0.0.1 as bot-1 (service account bot)");
        assertThat(ProxyOptions.parse(List.of(), Map.of("MESHJ_PROXY_REGISTER_CLIENT", "false")).registerClient()).isFalse();

        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--register-client", "yes"), Map.of()))
                .hasMessageContaining("register-client").hasMessageContaining("expected true or false");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--register-client", "true"), Map.of()))
                .hasMessageContaining("register-client needs destination");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--destination", "127.0.0.1:8086", "--app-ports", "8080",
                "--register", "web.emojivoto:8080", "--register-client", "true", "--identity-token-file", "t"), Map.of()))
                .hasMessageContaining("register-client and register");
    }

    @Test
    void theLogLevelIsOneOfFiveAndMapsToJavaLogging() {
        ProxyConfig c = ProxyOptions.parse(List.of(), Map.of("MESHJ_PROXY_LOG_LEVEL", "DEBUG"));
        assertThat(c.logLevel()).isEqualTo("debug");
        assertThat(c.julLevel()).isEqualTo(java.util.logging.Level.FINE);
        assertThat(c.describe()).contains("log-level = debug");
        assertThat(ProxyOptions.parse(List.of(), Map.of()).julLevel()).isEqualTo(java.util.logging.Level.INFO);
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--log-level", "verbose"), Map.of()))
                .hasMessageContaining("--log-level").hasMessageContaining("\"verbose\" is not a log level");
    }

    @Test
    void trustAnchorsComeFromAFileOrFromPemTextButNotBoth() {
        String pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        ProxyConfig c = ProxyOptions.parse(List.of("--identity", "127.0.0.1:8080", "--identity-token-file", "t"),
                Map.of("MESHJ_PROXY_TRUST_ANCHORS_PEM", pem));
        assertThat(c.trustAnchorsPem()).hasValue(pem.strip());
        assertThat(c.trustAnchors()).isEmpty();
        assertThat(c.describe()).contains("trust anchors (PEM from trust-anchors-pem)");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--identity", "127.0.0.1:8080", "--identity-token-file", "t",
                "--trust-anchors", "a.pem"), Map.of("MESHJ_PROXY_TRUST_ANCHORS_PEM", pem)))
                .hasMessageContaining("give one");
        assertThatThrownBy(() -> ProxyOptions.parse(List.of("--identity", "127.0.0.1:8080", "--identity-token-file", "t"),
                Map.of())).hasMessageContaining("trust-anchors");
    }

    @Test
    void portZeroIsAllowedForListenersAndDescribed() {
        ProxyConfig c = ProxyOptions.parse(List.of("--admin-listen", "127.0.0.1:0"), Map.of());
        assertThat(c.adminListen().getPort()).isZero();
        assertThat(c.describe()).contains("admin-listen = 127.0.0.1:0").contains("request-timeout = (none)");
    }

    @Test
    void helpListsEveryOptionWithItsVariable() {
        assertThat(ProxyOptions.help()).contains("--outbound-listen").contains("MESHJ_PROXY_OUTBOUND_LISTEN")
                .contains("--opaque-ports").contains("MESHJ_PROXY_SHUTDOWN_GRACE_PERIOD");
    }
}
