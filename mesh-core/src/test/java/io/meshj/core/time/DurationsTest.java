package io.meshj.core.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationsTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource({
        "0, 0",
        "250ms, 250000000",
        "10s, 10000000000",
        "1.5s, 1500000000",
        "1m30s, 90000000000",
        "24h, 86400000000000",
        "100us, 100000",
        "100µs, 100000",
        "7ns, 7",
        "1h2m3s4ms, 3723004000000",
    })
    void parsesGoDurations(String text, long nanos) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "''     | empty duration",
        "10     | missing unit",
        "5sec   | unknown unit \"sec\"",
        "-1s    | negative duration",
        "s      | expected a number at position 0",
        "1..2s  | invalid number \"1..2\"",
    })
    void rejectsWithReason(String text, String reason) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void formatsInLargestExactUnitsAndRoundTrips() {
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(Durations.format(Duration.ofHours(24))).isEqualTo("24h");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.format(Duration.ofNanos(1500))).isEqualTo("1500ns");
        for (String s : new String[] {"1m30s", "250ms", "24h", "3us", "7ns", "1h1s"}) {
            assertThat(Durations.format(Durations.parse(s))).isEqualTo(s);
        }
    }
}
