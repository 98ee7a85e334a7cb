package io.meshj.bench;

import io.meshj.core.profile.RequestMatch;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Service-profile route matching over 20 routes of the usual shape (method + anchored path regex
 * with an id segment), for a request that matches the first route, the last one, and none (the
 * default route after trying all 20).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouteMatchBenchmark {

    private ServiceProfile profile;

    @Setup
    public void setUp() {
        ServiceProfile.Builder b = ServiceProfile.builder("books.default.svc.cluster.local");
        for (int i = 0; i < 20; i++) {
            String method = i % 2 == 0 ? "GET" : "POST";
            b.route(Route.builder(method + " /api/v1/resource" + i + "/{id}")
                    .condition(new RequestMatch.All(List.of(
                            new RequestMatch.Method(method),
                            RequestMatch.PathRegex.of("/api/v1/resource" + i + "/[^/]+"))))
                    .build());
        }
        profile = b.build();
    }

    @Benchmark
    public Route firstRoute() {
        return profile.route("GET", "/api/v1/resource0/42");
    }

    @Benchmark
    public Route lastRoute() {
        return profile.route("POST", "/api/v1/resource19/42");
    }

    @Benchmark
    public Route noRouteMatches() {
        return profile.route("GET", "/healthz");
    }
}
