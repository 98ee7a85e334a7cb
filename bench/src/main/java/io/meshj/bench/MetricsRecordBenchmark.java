package io.meshj.bench;

import io.meshj.metrics.HttpMetrics;
import io.meshj.metrics.MeshMetrics;
import io.meshj.metrics.TlsStatus;
import io.meshj.metrics.TrafficLabels;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the proxy does to meter one request, as it does it: build the request's labels (a new
 * {@link TrafficLabels} per request, from an endpoint's shared label map), find its series, count the
 * request, then count the response and record its latency. Compare with the proxy's CPU per request
 * (BENCHMARKS.md) for the share of max RPS that metrics cost; the budget is 5 %.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MetricsRecordBenchmark {

    private MeshMetrics metrics;
    private final Map<String, String> endpointLabels = Map.of("namespace", "emojivoto", "service", "web-svc",
            "pod", "web-5d4c7b9f8-aaaaa", "deployment", "web", "serviceaccount", "web");
    private final TlsStatus tls = TlsStatus.toServer("web.emojivoto.serviceaccount.identity.meshj.cluster.local");
    private double latency;

    @Setup(Level.Trial)
    public void setUp() {
        metrics = MeshMetrics.create();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        metrics.close();
    }

    @Benchmark
    public void requestAndResponse() {
        HttpMetrics.Route route = metrics.http().route(new TrafficLabels("outbound", "web-svc.emojivoto.svc.cluster.local:8080",
                "10.244.1.7:8080", tls, endpointLabels));
        route.request();
        latency = latency > 40 ? 0.3 : latency + 0.7;
        route.response(200, -1, null, latency);
    }
}
