package io.meshj.proxy.internal.embedded;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.grpc.EndpointObserver;
import io.meshj.core.tap.TapBus;
import io.meshj.core.tap.TapDirection;
import io.meshj.core.tap.TapEvent;
import io.meshj.core.tap.TapPeer;
import io.meshj.core.time.Ticker;
import io.meshj.metrics.MeshMetrics;
import io.meshj.metrics.TlsStatus;
import io.meshj.metrics.TrafficLabels;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * What an embedded gRPC channel records for each call, as the sidecar's outbound side does: the HTTP
 * series labelled with the channel's authority and the picked endpoint (its address, its identity as
 * {@code server_id}, its discovery labels as {@code dst_*}), and tap events while somebody taps.
 */
public final class OutboundObserver implements EndpointObserver {

    private final MeshMetrics metrics;
    private final TapBus bus;
    private final String authority;
    private final Map<String, String> localLabels;

    private final Ticker ticker;

    /** @param ticker the clock latencies are measured by */
    public OutboundObserver(MeshMetrics metrics, TapBus bus, String authority, Map<String, String> localLabels,
            Ticker ticker) {
        this.ticker = ticker;
        this.metrics = metrics;
        this.bus = bus;
        this.authority = authority;
        this.localLabels = Map.copyOf(localLabels);
    }

    @Override
    public ClientStreamTracer newTracer(Endpoint endpoint, String fullMethodName, ClientStreamTracer.StreamInfo info,
            Metadata headers) {
        return new Tracer(endpoint, "/" + fullMethodName, headers);
    }

    private final class Tracer extends ClientStreamTracer {
        private final GrpcCallRecorder recorder = new GrpcCallRecorder(ticker);
        private volatile boolean answered;

        Tracer(Endpoint endpoint, String path, Metadata headers) {
            TlsStatus tls = endpoint.tlsIdentity().map(TlsStatus::toServer).orElse(TlsStatus.NOT_PROVIDED_BY_DISCOVERY);
            TrafficLabels labels = new TrafficLabels("outbound", authority, endpoint.address().toString(), tls,
                    endpoint.labels());
            recorder.started(metrics.http().route(labels), bus, authority, path, () -> {
                TapPeer destination = new TapPeer(InetSocketAddress.createUnresolved(endpoint.address().host(),
                        endpoint.address().port()), endpoint.labels());
                return new TapEvent.RequestInit(bus.request(TapDirection.OUTBOUND, new TapPeer(null, localLabels),
                        destination, endpoint.tlsIdentity().isPresent()), "POST", "http", authority, path,
                        GrpcCallRecorder.headers(headers));
            });
        }

        @Override
        public void inboundHeaders() {
            answered = true;
            recorder.responseHeaders();
        }

        @Override
        public void inboundTrailers(Metadata trailers) {
            answered = true;
        }

        @Override
        public void inboundWireSize(long bytes) {
            recorder.responseBytes(bytes);
        }

        @Override
        public void streamClosed(Status status) {
            recorder.closed(status, answered);
        }
    }
}
