package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesObjectsInOrderWithEscapes() {
        Object document = List.of(
                Json.obj("shortcode", ":joy:", "unicode", "😂", "votes", 3),
                Json.obj("text", "a \"quote\", a \\ and a\nline</script>", "ok", true, "none", null));

        assertThat(Json.write(document)).isEqualTo(
                "[{\"shortcode\":\":joy:\",\"unicode\":\"😂\",\"votes\":3},"
                        + "{\"text\":\"a \\\"quote\\\", a \\\\ and a\\nline\\u003c/script>\",\"ok\":true,\"none\":null}]");
    }

    @Test
    void parsesWhatItWrites() {
        Map<String, Object> original = Json.obj(
                "s", "tab\there \u0001 😂 <", "n", 42L, "d", 1.5, "b", false, "z", null,
                "list", Arrays.asList(1L, "two", List.of()), "obj", Json.obj());

        assertThat(Json.parse(Json.write(original))).isEqualTo(original);
    }

    @Test
    void parsesWhitespaceAndEscapesOthersWrite() {
        assertThat(Json.parse(" { \"a\" : [ 1 , -2.5e1 ] , \"b\":\"\\u00e9\\/\" } "))
                .isEqualTo(Map.of("a", List.of(1L, -25.0), "b", "é/"));
    }

    @Test
    void badInputIsReportedWithItsOffset() {
        assertThatThrownBy(() -> Json.parse("[1, 2")).hasMessageContaining("offset 5");
        assertThatThrownBy(() -> Json.parse("{\"a\" 1}")).hasMessageContaining("expected ':'");
        assertThatThrownBy(() -> Json.parse("\"open")).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> Json.parse("[] x")).hasMessageContaining("trailing");
        assertThatThrownBy(() -> Json.parse("nul")).hasMessageContaining("unexpected");
    }
}
