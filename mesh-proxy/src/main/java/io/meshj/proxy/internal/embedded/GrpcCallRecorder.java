package io.meshj.proxy.internal.embedded;

import io.grpc.Metadata;
import io.grpc.Status;
import io.meshj.core.tap.TapBus;
import io.meshj.core.tap.TapCall;
import io.meshj.core.tap.TapEvent;
import io.meshj.core.tap.TapRequest;
import io.meshj.core.time.Ticker;
import io.meshj.metrics.HttpMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Records one gRPC call of an embedded app the way the sidecar records a proxied request: a
 * {@code request_total} when it starts, {@code response_total} and {@code response_latency_ms} (to the
 * response's head) when it ends, with HTTP status 200 and the call's gRPC status, and the tap events
 * while somebody taps. Tracer callbacks come from transport threads, one at a time per stream, but
 * not always the same thread: the state is guarded by this object's monitor.
 */
final class GrpcCallRecorder {

    private static final int HTTP_OK = 200;

    private final Ticker ticker;
    private final long startNanos;
    private HttpMetrics.Route route;
    private TapCall tap = TapCall.NONE;
    private TapRequest tapRequest;
    private long headersNanos = -1;
    private long responseBytes;
    private boolean ended;

    GrpcCallRecorder(Ticker ticker) {
        this.ticker = ticker;
        this.startNanos = ticker.nanoTime();
    }

    /** The call started with these meters; {@code tapInit} builds its tap head, asked only when tapped. */
    synchronized void started(HttpMetrics.Route route, TapBus bus, String authority, String path,
            java.util.function.Supplier<TapEvent.RequestInit> tapInit) {
        this.route = route;
        route.request();
        if (bus.wantsRequest("POST", authority, path)) {
            TapEvent.RequestInit init = tapInit.get();
            tapRequest = init.request();
            tap = bus.requestInit(init);
        }
    }

    /** The response's head went out (server) or came in (client). */
    synchronized void responseHeaders() {
        if (headersNanos >= 0 || ended) {
            return;
        }
        headersNanos = ticker.nanoTime() - startNanos;
        if (tap.isTapped()) {
            tap.responseInit(new TapEvent.ResponseInit(tapRequest, HTTP_OK, headersNanos, List.of()));
        }
    }

    synchronized void responseBytes(long bytes) {
        responseBytes += bytes;
    }

    /**
     * The call ended with {@code status}: {@code answered} when the server produced it (else the call was
     * cut — cancelled, or the connection lost — before any answer). Later calls are ignored.
     */
    synchronized void closed(Status status, boolean answered) {
        if (ended || route == null) {
            return;
        }
        ended = true;
        long now = ticker.nanoTime() - startNanos;
        if (headersNanos < 0 && answered) {
            headersNanos = now; // a trailers-only answer: its head is its end
        }
        // Like the sidecar: a call cut before any answer is an error, not a response with a status.
        String error = answered ? null : status.getCode() == Status.Code.CANCELLED ? "cancelled" : "connection_error";
        route.response(answered ? HTTP_OK : 0, answered ? status.getCode().value() : -1, error,
                answered ? headersNanos / 1e6 : -1);
        if (tap.isTapped()) {
            if (answered && headersNanos == now) {
                tap.responseInit(new TapEvent.ResponseInit(tapRequest, HTTP_OK, headersNanos, List.of()));
            }
            tap.responseEnd(new TapEvent.ResponseEnd(tapRequest, answered ? status.getCode().value() : -1, error,
                    answered ? now - headersNanos : now, responseBytes));
        }
    }

    /** gRPC metadata as tap headers: the text ones only (binary values say nothing on a terminal). */
    static List<Map.Entry<String, String>> headers(Metadata md) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (String key : md.keys()) {
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                continue;
            }
            for (String v : md.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))) {
                out.add(Map.entry(key, v));
            }
        }
        return out;
    }
}
