package io.meshj.core.name;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AuthorityTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "svc                               | svc                               | -1   | false",
        "svc:8080                          | svc                               | 8080 | false",
        "web-svc.emojivoto                 | web-svc.emojivoto                 | -1   | false",
        "web-svc.emojivoto:8080            | web-svc.emojivoto                 | 8080 | false",
        "web-svc.emojivoto.svc.cluster.local:8080 | web-svc.emojivoto.svc.cluster.local | 8080 | false",
        "Web-Svc.EmojiVoto.:80             | web-svc.emojivoto                 | 80   | false",
        "10.0.0.7                          | 10.0.0.7                          | -1   | true",
        "10.0.0.7:65535                    | 10.0.0.7                          | 65535| true",
        "[::1]                             | ::1                               | -1   | true",
        "[::1]:8080                        | ::1                               | 8080 | true",
        "[2001:DB8:0:0:0:0:0:1]:443        | 2001:db8::1                       | 443  | true",
        "[::ffff:10.0.0.1]:80              | 10.0.0.1                          | 80   | true",
        "a1.b2-c.d3                        | a1.b2-c.d3                        | -1   | false",
    })
    void parsesAndNormalises(String input, String host, int port, boolean ip) {
        Authority a = Authority.parse(input);
        assertThat(a.host()).isEqualTo(host);
        assertThat(a.port()).isEqualTo(port);
        assertThat(a.hasPort()).isEqualTo(port != -1);
        assertThat(a.isIpAddress()).isEqualTo(ip);
        // The canonical form parses back to an equal authority.
        assertThat(Authority.parse(a.toString())).isEqualTo(a);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "''                   | empty",
        "svc:                 | empty port after ':'",
        "svc:0                | port 0 is out of range 1-65535",
        "svc:65536            | port 65536 is out of range 1-65535",
        "svc:80a              | port \"80a\" is not a number in 1-65535",
        "svc:123456           | port \"123456\" is not a number in 1-65535",
        "a..b                 | empty label at position 2 of host",
        ".a                   | empty label at position 0 of host",
        "a_b.ns               | illegal character '_' at position 1 of host",
        "a b                  | illegal character ' ' at position 1 of host",
        "-a.ns                | label \"-a\" starts or ends with '-'",
        "user@svc:80          | user info",
        "::1                  | must be enclosed in brackets",
        "[::1                 | missing ']'",
        "[::1]x               | expected ':' after ']'",
        "[]:80                | empty IPv6 address",
        "[fe80::1%eth0]:80    | zone identifiers are not supported",
        "[zz::1]              | \"zz::1\" is not a valid IPv6 address",
        "10.0.0.256           | \"10.0.0.256\" is not a valid IPv4 address",
        "1.2.3                | \"1.2.3\" is not a valid IPv4 address",
        ":80                  | empty host",
    })
    void rejectsWithTheProblemNamed(String input, String problem) {
        assertThatThrownBy(() -> Authority.parse(input))
                .isInstanceOf(InvalidAuthorityException.class)
                .hasMessageContaining("\"" + input + "\"")
                .hasMessageContaining(problem);
    }

    @Test
    void rejectsOverlongLabelsAndHosts() {
        String label64 = "a".repeat(64);
        assertThatThrownBy(() -> Authority.parse(label64 + ".ns"))
                .hasMessageContaining("longer than 63 characters");
        String host254 = ("a".repeat(49) + ".").repeat(5) + "abcd"; // 254 characters
        assertThatThrownBy(() -> Authority.parse(host254))
                .hasMessageContaining("254 characters long, more than 253");
        assertThat(Authority.parse("a".repeat(63) + ".ns").host()).hasSize(66);
    }

    @Test
    void equalityIgnoresSpellingButNotPort() {
        assertThat(Authority.parse("Svc.NS.:80")).isEqualTo(Authority.parse("svc.ns:80"));
        assertThat(Authority.parse("[0:0::1]:80")).isEqualTo(Authority.parse("[::1]:80"));
        assertThat(Authority.parse("svc.ns:80")).isNotEqualTo(Authority.parse("svc.ns:81"));
        assertThat(Authority.parse("svc.ns")).isNotEqualTo(Authority.parse("svc.ns:80"));
        assertThat(Authority.parse("svc.ns:80").hashCode()).isEqualTo(Authority.parse("SVC.ns:80").hashCode());
    }

    @Test
    void portHelpers() {
        Authority a = Authority.parse("svc.ns");
        assertThat(a.withDefaultPort(80)).isEqualTo(Authority.parse("svc.ns:80"));
        assertThat(Authority.parse("svc.ns:81").withDefaultPort(80).port()).isEqualTo(81);
        assertThat(Authority.parse("svc.ns:81").withoutPort()).isEqualTo(a);
        assertThatThrownBy(() -> a.withPort(0)).hasMessageContaining("out of range");
    }

    @Test
    void ofAcceptsHostsWithAndWithoutBrackets() {
        assertThat(Authority.of("::1", 80)).isEqualTo(Authority.parse("[::1]:80"));
        assertThat(Authority.of("[::1]", 80)).isEqualTo(Authority.parse("[::1]:80"));
        assertThat(Authority.of("svc.ns", Authority.NO_PORT)).isEqualTo(Authority.parse("svc.ns"));
        assertThat(Authority.of("10.1.2.3", 9).toString()).isEqualTo("10.1.2.3:9");
        assertThatThrownBy(() -> Authority.of("svc", 70000)).hasMessageContaining("70000 is out of range");
    }

    @Test
    void ipLiteralsConvertWithoutDns() {
        Authority v6 = Authority.parse("[2001:db8::7]:80");
        assertThat(v6.isIpv6()).isTrue();
        assertThat(v6.hostForUri()).isEqualTo("[2001:db8::7]");
        assertThat(v6.toInetAddress()).isInstanceOf(Inet6Address.class);
        assertThat(Authority.of(v6.toInetAddress(), 80)).isEqualTo(v6);
        assertThatThrownBy(() -> Authority.parse("svc").toInetAddress())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void scopedIpv6AddressesAreRejectedNotMangled() throws Exception {
        java.net.Inet6Address scoped = java.net.Inet6Address.getByAddress(null,
                v6Bytes("fe80::1"), 2);
        assertThatThrownBy(() -> Authority.of(scoped, 80))
                .isInstanceOf(InvalidAuthorityException.class)
                .hasMessageContaining("zone identifiers are not supported");
    }

    private static byte[] v6Bytes(String literal) {
        return Authority.parse("[" + literal + "]").toInetAddress().getAddress();
    }
}
