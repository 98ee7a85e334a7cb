package io.meshj.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.retry.ExponentialBackoff;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Rotation is driven by hand: a queue of scheduled tasks, and a clock the test moves. */
class WorkloadCertifierTest {

    private static final WorkloadIdentity WEB = new WorkloadIdentity("web", "emojivoto", "cluster.local");

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));
    private final ManualScheduler scheduler = new ManualScheduler();
    private final CertificateAuthority ca = CertificateAuthority.generate("cluster.local", clock, Duration.ofSeconds(30));

    @Test
    void refreshesAtSeventyPercentButAtLeastTenSecondsBeforeTheEnd() {
        Instant now = clock.instant();
        assertThat(WorkloadCertifier.refreshDelay(now, now.plus(Duration.ofHours(24)))).isEqualTo(Duration.ofMinutes(1008));
        assertThat(WorkloadCertifier.refreshDelay(now, now.plusSeconds(100))).isEqualTo(Duration.ofSeconds(70));
        assertThat(WorkloadCertifier.refreshDelay(now, now.plusSeconds(30))).isEqualTo(Duration.ofSeconds(20));
        assertThat(WorkloadCertifier.refreshDelay(now, now.plusSeconds(5))).isEqualTo(Duration.ZERO);
        assertThat(WorkloadCertifier.refreshDelay(now, now.minusSeconds(5))).isEqualTo(Duration.ZERO);
    }

    @Test
    void certifiesAtOnceThenRenewsWithAFreshKeyBeforeTheEnd() {
        WorkloadCertifier certifier = WorkloadCertifier.builder(WEB, Certifier.of(ca)).scheduler(scheduler).clock(clock)
                .build().start();
        assertThat(certifier.firstCertificate()).isNotDone();
        assertThat(scheduler.runNext()).isEqualTo(Duration.ZERO);

        CertifiedKey first = certifier.firstCertificate().join();
        assertThat(MeshTls.identityOf(first.leaf())).contains(WEB);
        assertThat(first.chain()).containsExactly(first.leaf(), ca.issuer());
        assertThat(certifier.refreshCount()).isEqualTo(1);
        String firstAlias = certifier.keyManager().chooseEngineServerAlias("EC", null, null);
        assertThat(certifier.keyManager().getPrivateKey(firstAlias)).isSameAs(first.key());

        clock.advance(Duration.ofSeconds(20));
        assertThat(scheduler.runNext()).isEqualTo(Duration.ofSeconds(20));
        CertifiedKey second = certifier.current().orElseThrow();
        assertThat(second).isNotSameAs(first);
        assertThat(second.key()).isNotEqualTo(first.key());
        assertThat(certifier.refreshCount()).isEqualTo(2);
        assertThat(certifier.refreshedAt()).contains(clock.instant());
        // A handshake that chose the old alias just before the swap still gets a matching key and chain.
        assertThat(certifier.keyManager().getPrivateKey(firstAlias)).isSameAs(first.key());
        assertThat(certifier.keyManager().getCertificateChain(firstAlias)[0]).isEqualTo(first.leaf());
        String secondAlias = certifier.keyManager().chooseEngineClientAlias(new String[] {"EC"}, null, null);
        assertThat(secondAlias).isNotEqualTo(firstAlias);
        assertThat(certifier.keyManager().getPrivateKey(secondAlias)).isSameAs(second.key());
        assertThat(scheduler.delays()).containsExactly(Duration.ofSeconds(20));
    }

    @Test
    void keepsTheCurrentCertificateAndRetriesWithBackoffWhileTheIssuerFails() {
        AtomicInteger calls = new AtomicInteger();
        Certifier flaky = (identity, csr) -> {
            int n = calls.incrementAndGet();
            return n == 1 || n >= 4 ? Certifier.of(ca).certify(identity, csr)
                    : CompletableFuture.failedFuture(new IllegalStateException("controller unavailable"));
        };
        WorkloadCertifier certifier = WorkloadCertifier.builder(WEB, flaky).scheduler(scheduler).clock(clock)
                .backoff(ExponentialBackoff.builder().min(Duration.ofSeconds(1)).max(Duration.ofSeconds(8)).jitter(0).build())
                .build().start();
        scheduler.runNext();
        CertifiedKey first = certifier.current().orElseThrow();

        clock.advance(scheduler.runNext());          // renewal due: fails
        assertThat(certifier.current()).contains(first);
        assertThat(scheduler.delays()).containsExactly(Duration.ofSeconds(1));
        clock.advance(scheduler.runNext());          // fails again, backs off further
        assertThat(scheduler.delays()).containsExactly(Duration.ofSeconds(2));
        assertThat(certifier.failureCount()).isEqualTo(2);
        clock.advance(scheduler.runNext());          // the issuer is back
        assertThat(certifier.current().orElseThrow()).isNotEqualTo(first);
        assertThat(certifier.refreshCount()).isEqualTo(2);
        assertThat(scheduler.delays()).containsExactly(Duration.ofSeconds(20)); // backoff reset, next renewal at 70 %
    }

    @Test
    void retriesNearTheCertificatesEndNeverWaitPastItWhateverTheBackoff() {
        AtomicInteger calls = new AtomicInteger();
        Certifier down = (identity, csr) -> calls.incrementAndGet() == 1 ? Certifier.of(ca).certify(identity, csr)
                : CompletableFuture.failedFuture(new IllegalStateException("controller unavailable"));
        WorkloadCertifier certifier = WorkloadCertifier.builder(WEB, down).scheduler(scheduler).clock(clock)
                .backoff(ExponentialBackoff.builder().min(Duration.ofSeconds(1)).max(Duration.ofSeconds(60)).jitter(0).build())
                .build().start();
        scheduler.runNext();                         // a 30 s certificate, renewal due in 20 s
        java.util.List<Duration> waits = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) {                // at 20 s (10 s left), then after each wait
            clock.advance(scheduler.delays().get(0));
            scheduler.runNext();
            waits.add(scheduler.delays().get(0));
        }

        // The backoff alone would wait 1, 2, 4, 8, 16... s (attempts at 20, 21, 23, 27, 35, 51 s), so an
        // issuer back at 36 s would be asked again only at 51 s, the certificate over for 21 s by then.
        // Capped: never more than half the time left, and every second once it ended.
        assertThat(waits).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMillis(3500),
                Duration.ofMillis(1750), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertThat(certifier.hasValidCertificate()).as("30.25 s: ended, and tried again every second").isFalse();
    }

    @Test
    void refusesACertificateForAnotherKey() {
        CertificateAuthority.Issued foreign = ca.certify(WEB, WorkloadKeys.csr(WorkloadKeys.generate(), WEB));
        Certifier wrongKey = (identity, csr) -> CompletableFuture.completedFuture(foreign);
        WorkloadCertifier certifier = WorkloadCertifier.builder(WEB, wrongKey).scheduler(scheduler).clock(clock).build().start();
        scheduler.runNext();
        assertThat(certifier.current()).isEmpty();
        assertThat(certifier.failureCount()).isEqualTo(1);
        assertThat(scheduler.delays()).hasSize(1); // and it tries again
    }

    @Test
    void anyFailureOfAnAttemptIsCountedAndRetriedAndAnEndedCertificateIsNotValid() {
        AtomicInteger calls = new AtomicInteger();
        Certifier broken = (identity, csr) -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("a bug in the certifier");
            }
            return Certifier.of(ca).certify(identity, csr);
        };
        WorkloadCertifier certifier = WorkloadCertifier.builder(WEB, broken).scheduler(scheduler).clock(clock).build().start();
        scheduler.runNext();
        assertThat(certifier.hasValidCertificate()).isTrue();
        clock.advance(scheduler.runNext());      // the certifier throws: a failure, not the end of renewal
        assertThat(certifier.failureCount()).isEqualTo(1);
        assertThat(scheduler.delays()).hasSize(1);
        clock.advance(Duration.ofSeconds(30));   // past the first certificate's end
        assertThat(certifier.current()).isPresent();
        assertThat(certifier.hasValidCertificate()).isFalse();
        scheduler.runNext();
        assertThat(certifier.hasValidCertificate()).isTrue();
    }

    @Test
    void closeStopsRenewal() {
        WorkloadCertifier certifier = WorkloadCertifier.builder(WEB, Certifier.of(ca)).scheduler(scheduler).clock(clock)
                .build().start();
        scheduler.runNext();
        certifier.close();
        assertThat(scheduler.cancelled).isEqualTo(1);
        assertThat(certifier.current()).isPresent();
    }

    /** Runs scheduled tasks when the test says so. */
    static final class ManualScheduler implements WorkloadCertifier.Scheduler {
        private final Deque<Task> tasks = new ArrayDeque<>();
        int cancelled;

        private record Task(Runnable r, Duration delay) {
        }

        @Override
        public WorkloadCertifier.Cancellable schedule(Runnable task, Duration delay) {
            Task t = new Task(task, delay);
            tasks.add(t);
            return () -> {
                if (tasks.remove(t)) {
                    cancelled++;
                }
            };
        }

        /** Runs the one pending task and returns the delay it was scheduled with. */
        Duration runNext() {
            assertThat(tasks).hasSize(1);
            Task t = tasks.poll();
            t.r.run();
            return t.delay;
        }

        java.util.List<Duration> delays() {
            return tasks.stream().map(Task::delay).toList();
        }
    }

    static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
