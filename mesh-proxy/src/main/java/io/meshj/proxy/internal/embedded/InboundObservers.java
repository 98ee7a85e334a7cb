package io.meshj.proxy.internal.embedded;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.meshj.core.tap.TapBus;
import io.meshj.core.tap.TapDirection;
import io.meshj.core.tap.TapEvent;
import io.meshj.core.tap.TapPeer;
import io.meshj.core.time.Ticker;
import io.meshj.metrics.MeshMetrics;
import io.meshj.metrics.TcpMetrics;
import io.meshj.metrics.TlsStatus;
import io.meshj.metrics.TrafficLabels;
import io.meshj.tls.MeshTls;
import io.meshj.tls.WorkloadIdentity;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import javax.net.ssl.SSLSession;

/**
 * What an embedded gRPC server records, as the sidecar's inbound side does: a connection's TCP series
 * (the transport filter, which also reads the client's identity once per connection), each call's
 * HTTP series and tap events (the stream tracer), and the client's identity in the handler's
 * {@link Context} (the interceptor).
 */
public final class InboundObservers {

    private static final Attributes.Key<WorkloadIdentity> PEER = Attributes.Key.create("meshj.peerIdentity");
    private static final Attributes.Key<TcpMetrics.Connection> CONNECTION = Attributes.Key.create("meshj.connection");

    private final MeshMetrics metrics;
    private final TapBus bus;
    private final Map<String, String> localLabels;
    private final Ticker ticker;
    private final Context.Key<WorkloadIdentity> contextKey;
    private volatile String targetAddr = "unknown";

    /**
     * @param contextKey where handlers find the client's identity
     * @param localLabels this workload as tap shows it (namespace, pod, deployment, ...)
     * @param ticker the clock latencies are measured by
     */
    public InboundObservers(MeshMetrics metrics, TapBus bus, Map<String, String> localLabels,
            Context.Key<WorkloadIdentity> contextKey, Ticker ticker) {
        this.ticker = ticker;
        this.metrics = metrics;
        this.bus = bus;
        this.localLabels = Map.copyOf(localLabels);
        this.contextKey = contextKey;
    }

    /** The server's own address, once bound: the {@code target_addr} of its inbound series. */
    public void setTargetAddr(String addr) {
        this.targetAddr = addr;
    }

    public ServerTransportFilter transportFilter() {
        return new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attrs) {
                SSLSession session = attrs.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                WorkloadIdentity peer = session == null ? null : MeshTls.peerIdentity(session).orElse(null);
                TcpMetrics.Connection c = metrics.tcp().accepted("inbound", tls(peer));
                Attributes.Builder b = attrs.toBuilder().set(CONNECTION, c);
                if (peer != null) {
                    b.set(PEER, peer);
                }
                return b.build();
            }

            @Override
            public void transportTerminated(Attributes attrs) {
                TcpMetrics.Connection c = attrs.get(CONNECTION);
                if (c != null) {
                    c.closed(null);
                }
            }
        };
    }

    public ServerStreamTracer.Factory tracerFactory() {
        return new ServerStreamTracer.Factory() {
            @Override
            public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
                return new Tracer(fullMethodName, headers);
            }
        };
    }

    /** Puts the client's verified identity (if any) in the context of the call's handler. */
    public ServerInterceptor identityInterceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                WorkloadIdentity peer = call.getAttributes().get(PEER);
                if (peer == null) {
                    return next.startCall(call, headers);
                }
                return Contexts.interceptCall(Context.current().withValue(contextKey, peer), call, headers, next);
            }
        };
    }

    private static TlsStatus tls(WorkloadIdentity peer) {
        return peer != null ? TlsStatus.fromClient(peer.dnsName()) : TlsStatus.NO_TLS_FROM_REMOTE;
    }

    private final class Tracer extends ServerStreamTracer {
        private final String path;
        private final Metadata headers;
        private final GrpcCallRecorder recorder = new GrpcCallRecorder(ticker);
        private volatile TcpMetrics.Connection connection;

        Tracer(String fullMethodName, Metadata headers) {
            this.path = "/" + fullMethodName;
            this.headers = headers;
        }

        @Override
        public void serverCallStarted(ServerCallInfo<?, ?> info) {
            Attributes attrs = info.getAttributes();
            connection = attrs.get(CONNECTION);
            WorkloadIdentity peer = attrs.get(PEER);
            String authority = info.getAuthority();
            TrafficLabels labels = new TrafficLabels("inbound", authority, targetAddr, tls(peer), Map.of());
            recorder.started(metrics.http().route(labels), bus, authority, path, () -> {
                SocketAddress remote = attrs.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
                TapPeer source = new TapPeer(remote instanceof InetSocketAddress i ? i : null, peer == null ? Map.of()
                        : Map.of("namespace", peer.namespace(), "serviceaccount", peer.serviceAccount()));
                SocketAddress local = attrs.get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR);
                TapPeer destination = new TapPeer(local instanceof InetSocketAddress i ? i : null, localLabels);
                return new TapEvent.RequestInit(bus.request(TapDirection.INBOUND, source, destination, peer != null),
                        "POST", "http", authority, path, GrpcCallRecorder.headers(headers));
            });
        }

        @Override
        public void outboundMessage(int seqNo) {
            if (seqNo == 0) {
                recorder.responseHeaders(); // a gRPC server sends its head with its first message
            }
        }

        @Override
        public void outboundWireSize(long bytes) {
            recorder.responseBytes(bytes);
            TcpMetrics.Connection c = connection;
            if (c != null) {
                c.wrote(bytes);
            }
        }

        @Override
        public void inboundWireSize(long bytes) {
            TcpMetrics.Connection c = connection;
            if (c != null) {
                c.read(bytes);
            }
        }

        @Override
        public void streamClosed(Status status) {
            recorder.closed(status, status.getCode() != Status.Code.CANCELLED);
        }
    }
}
