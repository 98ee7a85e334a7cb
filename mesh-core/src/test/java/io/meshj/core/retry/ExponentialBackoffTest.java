package io.meshj.core.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExponentialBackoffTest {

    @Test
    void doublesUpToTheCapWithoutJitter() {
        ExponentialBackoff b = ExponentialBackoff.builder().jitter(0).build();
        long[] seconds = new long[10];
        for (int i = 0; i < seconds.length; i++) {
            seconds[i] = b.delay(i).toSeconds();
        }
        assertThat(seconds).containsExactly(1, 2, 4, 8, 16, 32, 60, 60, 60, 60);
        assertThat(b.delay(1_000)).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void jitterSpreadsDelaysWithinBounds() {
        ExponentialBackoff b = ExponentialBackoff.builder().jitter(0.5).random(new SplittableRandom(7)).build();
        Set<Long> distinct = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            long first = b.delayNanos(0);
            assertThat(first).isBetween(1_000_000_000L, 1_500_000_000L);
            long third = b.delayNanos(2);
            assertThat(third).isBetween(2_000_000_000L, 6_000_000_000L);
            long capped = b.delayNanos(20);
            assertThat(capped).isBetween(30_000_000_000L, 60_000_000_000L);
            distinct.add(third);
        }
        assertThat(distinct.size()).isGreaterThan(900);
    }

    @Test
    void jitterKeepsItsSpreadAtBothEnds() {
        // Drawn within the bounds, not clamped: hardly any delay lands exactly on min or max.
        ExponentialBackoff b = ExponentialBackoff.builder().jitter(0.5).random(new SplittableRandom(3)).build();
        int atMin = 0;
        int atMax = 0;
        long sumFirst = 0;
        for (int i = 0; i < 10_000; i++) {
            long first = b.delayNanos(0);
            sumFirst += first;
            if (first == 1_000_000_000L) {
                atMin++;
            }
            if (b.delayNanos(30) == 60_000_000_000L) {
                atMax++;
            }
        }
        assertThat(atMin).isLessThan(10);
        assertThat(atMax).isLessThan(10);
        // Uniform over [1 s, 1.5 s]: mean 1.25 s.
        assertThat(sumFirst / 10_000.0 / 1e9).isBetween(1.24, 1.26);
    }

    @Test
    void rejectsBadSettings() {
        assertThatThrownBy(() -> ExponentialBackoff.builder().min(Duration.ZERO).build()).hasMessageContaining("positive");
        assertThatThrownBy(() -> ExponentialBackoff.builder().min(Duration.ofSeconds(2)).max(Duration.ofSeconds(1)).build())
                .hasMessageContaining("less than min");
        assertThatThrownBy(() -> ExponentialBackoff.builder().jitter(1.5)).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> ExponentialBackoff.builder().build().delayNanos(-1)).hasMessageContaining("negative");
    }
}
