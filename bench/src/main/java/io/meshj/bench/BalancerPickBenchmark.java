package io.meshj.bench;

import io.meshj.core.balance.P2cBalancer;
import io.meshj.core.balance.Pick;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.name.Authority;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One balancer decision: {@code pick()} over N endpoints plus the {@code onSuccess} that completes
 * it (a pick that is never completed would only grow the pending counts). Target: at most 200 ns
 * with 100 endpoints. Uses the production defaults: system clock, per-thread random, failure accrual.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BalancerPickBenchmark {

    @Param({"100"})
    public int endpoints;

    /** "equal": one weight class; "mixed": four weight classes, as with a canary split. */
    @Param({"equal", "mixed"})
    public String weights;

    private P2cBalancer balancer;

    @Setup
    public void setUp() {
        balancer = P2cBalancer.builder().build();
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < endpoints; i++) {
            int weight = weights.equals("equal") ? Endpoint.DEFAULT_WEIGHT : 1_000 * (1 + i % 4);
            list.add(Endpoint.builder(Authority.of("10.0." + (i / 250) + "." + (i % 250), 8080)).weight(weight).build());
        }
        balancer.update(list);
    }

    @Benchmark
    public Pick pickAndComplete() {
        Pick pick = balancer.pick();
        pick.onSuccess(1_000_000L);
        return pick;
    }

    /** Two threads picking from one balancer: what two event loops sharing a service see. */
    @Benchmark
    @Threads(2)
    public Pick pickAndCompleteTwoThreads() {
        Pick pick = balancer.pick();
        pick.onSuccess(1_000_000L);
        return pick;
    }
}
