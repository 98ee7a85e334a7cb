package io.meshj.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The guard's thresholds and hysteresis on a fake sampler, and the lifecycle's refusals that follow it. */
class HeapGuardTest {

    private long used;
    private final HeapGuard guard = new HeapGuard(() -> new long[] {used, 100});

    @Test
    void refusesAbove85PercentLiveAndTakesWorkAgainBelow70() {
        used = 85;
        assertThat(guard.check()).as("at the threshold").isFalse();
        used = 86;
        assertThat(guard.check()).isTrue();
        used = 75;
        assertThat(guard.check()).as("between the two: still refusing, no flapping").isTrue();
        used = 69;
        assertThat(guard.check()).isFalse();
        used = 80;
        assertThat(guard.check()).isFalse();
    }

    @Test
    void anUnknownSampleKeepsTheState() {
        HeapGuard unknown = new HeapGuard(() -> null);
        assertThat(unknown.check()).isFalse();
    }

    @Test
    void theLifecycleRefusesConnectionsOverTheLimitOrWhileOverloaded() {
        ProxyLifecycle lifecycle = new ProxyLifecycle();
        lifecycle.limits(2, guard);
        assertThat(lifecycle.tryAcceptConnection()).isTrue();
        assertThat(lifecycle.tryAcceptConnection()).isTrue();
        assertThat(lifecycle.tryAcceptConnection()).as("the third").isFalse();
        assertThat(lifecycle.connections()).isEqualTo(2);
        lifecycle.connectionClosed();
        assertThat(lifecycle.tryAcceptConnection()).isTrue();

        lifecycle.connectionClosed();
        used = 90;
        guard.check();
        assertThat(lifecycle.tryAcceptConnection()).as("room, but the heap is too full").isFalse();
        assertThat(lifecycle.isOverloaded()).isTrue();
    }

    @Test
    void thisJvmsGuardReadsARealPool() {
        HeapGuard real = HeapGuard.forThisJvm();
        assertThat(real.check()).as("a test JVM with room to spare").isFalse();
    }
}
