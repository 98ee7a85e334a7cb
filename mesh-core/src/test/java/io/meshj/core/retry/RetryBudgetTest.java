package io.meshj.core.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshj.core.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private final FakeTicker ticker = new FakeTicker();
    private final RetryBudget budget = RetryBudget.of(RetryBudget.Spec.DEFAULT, ticker);

    @Test
    void withNoTrafficAllowsExactlyTheMinimumRate() {
        // 10 retries per second over a 10 s ttl: 100 at once, then nothing until they age out.
        assertThat(withdrawAll()).isEqualTo(100);
        ticker.advance(Duration.ofMillis(9_999));
        assertThat(withdrawAll()).isZero();
        ticker.advance(Duration.ofMillis(1));
        assertThat(withdrawAll()).isEqualTo(100);

        // Over a minute of trying every 10 ms, exactly 10 per second get through.
        RetryBudget fresh = RetryBudget.of(RetryBudget.Spec.DEFAULT, ticker);
        int allowed = 0;
        for (int ms = 0; ms < 60_000; ms += 10) {
            if (fresh.tryWithdraw()) {
                allowed++;
            }
            ticker.advanceMillis(10);
        }
        assertThat(allowed).isEqualTo(600);
    }

    @Test
    void underLoadAllowsTwentyPercentOfRequests() {
        // 1000 requests per second for 100 s, each followed by an attempt to retry it.
        assertThat(allowedFraction(1_000, 100)).isBetween(0.20, 0.21);
        // Heavier load: the 10/s floor matters even less.
        assertThat(allowedFraction(10_000, 30)).isBetween(0.200, 0.2015);
    }

    @Test
    void lightLoadGetsRatioPlusFloor() {
        // 100 requests per second: 20 % of them plus the 10/s floor = 30 retries per second.
        assertThat(allowedFraction(100, 100)).isBetween(0.29, 0.31);
    }

    @Test
    void creditExpiresAfterTheTtl() {
        RetryBudget b = RetryBudget.of(new RetryBudget.Spec(0.2, 0, Duration.ofSeconds(10)), ticker);
        for (int i = 0; i < 50; i++) {
            b.deposit();
        }
        assertThat(b.available()).isEqualTo(10);
        ticker.advance(Duration.ofSeconds(10));
        assertThat(b.available()).isZero();
        assertThat(b.tryWithdraw()).isFalse();
    }

    @Test
    void zeroRatioLeavesOnlyTheFloor() {
        RetryBudget b = RetryBudget.of(new RetryBudget.Spec(0, 1, Duration.ofSeconds(10)), ticker);
        for (int i = 0; i < 1000; i++) {
            b.deposit();
        }
        assertThat(withdrawAll(b)).isEqualTo(10);
    }

    @Test
    void rejectsBadSpecs() {
        assertThatThrownBy(() -> new RetryBudget.Spec(-0.1, 10, Duration.ofSeconds(10))).hasMessageContaining("retryRatio");
        assertThatThrownBy(() -> new RetryBudget.Spec(1e-16, 10, Duration.ofSeconds(10))).hasMessageContaining("retryRatio");
        assertThatThrownBy(() -> new RetryBudget.Spec(0.2, -1, Duration.ofSeconds(10))).hasMessageContaining("minRetriesPerSecond");
        assertThatThrownBy(() -> new RetryBudget.Spec(0.2, 10, Duration.ofMillis(10))).hasMessageContaining("ttl");
    }

    private double allowedFraction(int requestsPerSecond, int seconds) {
        RetryBudget b = RetryBudget.of(RetryBudget.Spec.DEFAULT, ticker);
        long stepNanos = 1_000_000_000L / requestsPerSecond;
        long requests = (long) requestsPerSecond * seconds;
        long allowed = 0;
        for (long i = 0; i < requests; i++) {
            b.deposit();
            if (b.tryWithdraw()) {
                allowed++;
            }
            ticker.advanceNanos(stepNanos);
        }
        return (double) allowed / requests;
    }

    private int withdrawAll() {
        return withdrawAll(budget);
    }

    private static int withdrawAll(RetryBudget b) {
        int n = 0;
        while (b.tryWithdraw()) {
            n++;
            if (n > 1_000_000) {
                throw new AssertionError("budget never runs out");
            }
        }
        return n;
    }
}
