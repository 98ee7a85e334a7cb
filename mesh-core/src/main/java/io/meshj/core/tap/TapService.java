package io.meshj.core.tap;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.meshj.api.tap.v1.Header;
import io.meshj.api.tap.v1.Lost;
import io.meshj.api.tap.v1.Match;
import io.meshj.api.tap.v1.ObserveRequest;
import io.meshj.api.tap.v1.Peer;
import io.meshj.api.tap.v1.RequestInit;
import io.meshj.api.tap.v1.ResponseEnd;
import io.meshj.api.tap.v1.ResponseInit;
import io.meshj.api.tap.v1.TapGrpc;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tap API ({@code io.meshj.api.tap.v1.Tap}) over one {@link TapBus}: each Observe call is a
 * subscription whose events are sent as they come, as fast as the caller's flow-control window lets
 * them go. Events that do not fit in the subscription's queue meanwhile are dropped and the caller is
 * told how many ({@code lost}); the traffic never waits for a tap.
 *
 * <p>Who may call is the server's business (the proxy serves it with mTLS to the controller's identity
 * only). Sending runs on {@code executor}, never on the publishers' event loops.
 */
public final class TapService extends TapGrpc.TapImplBase {

    private final TapBus bus;
    private final Executor executor;

    public TapService(TapBus bus, Executor executor) {
        this.bus = requireNonNull(bus, "bus");
        this.executor = requireNonNull(executor, "executor");
    }

    @Override
    public void observe(ObserveRequest request, StreamObserver<io.meshj.api.tap.v1.TapEvent> responseObserver) {
        TapSubscription sub;
        try {
            sub = bus.subscribe(filter(request.getMatch())).limit(Integer.toUnsignedLong(request.getLimit())).maxRps(request.getMaxRps()).open();
        } catch (IllegalArgumentException e) {
            responseObserver.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        new Sender(sub, (ServerCallStreamObserver<io.meshj.api.tap.v1.TapEvent>) responseObserver).start();
    }

    /** The subscription filter a Match asks for. */
    public static TapFilter filter(Match m) {
        return TapFilter.builder().method(m.getMethod()).authority(m.getAuthority()).pathPrefix(m.getPathPrefix())
                .labels(m.getLabelsMap()).build();
    }

    /** Moves one subscription's events to its caller, one drain at a time (a work-in-progress counter). */
    private final class Sender {
        private final TapSubscription sub;
        private final ServerCallStreamObserver<io.meshj.api.tap.v1.TapEvent> call;
        private final AtomicInteger wip = new AtomicInteger();
        private volatile boolean finished;

        Sender(TapSubscription sub, ServerCallStreamObserver<io.meshj.api.tap.v1.TapEvent> call) {
            this.sub = sub;
            this.call = call;
        }

        void start() {
            call.setOnCancelHandler(() -> {
                finished = true;
                sub.close();
            });
            call.setOnReadyHandler(this::schedule);
            sub.onAvailable(this::schedule);
            schedule();
        }

        void schedule() {
            if (wip.getAndIncrement() == 0) {
                try {
                    executor.execute(this::drain);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // The server is stopping: nobody will read this subscription again. (Called on a
                    // publisher's event loop, which must not see the exception.)
                    finished = true;
                    sub.close();
                }
            }
        }

        private void drain() {
            int missed = 1;
            do {
                boolean empty = false;
                while (!finished && call.isReady()) {
                    long lost = sub.takeLost();
                    if (lost > 0) {
                        call.onNext(io.meshj.api.tap.v1.TapEvent.newBuilder()
                                .setLost(Lost.newBuilder().setCount(lost)).build());
                    }
                    TapEvent e = sub.poll();
                    if (e == null) {
                        empty = true;
                        break;
                    }
                    call.onNext(toProto(e));
                }
                if (!finished && empty && sub.isDone()) {
                    finished = true;
                    sub.close();
                    call.onCompleted();
                }
                missed = wip.addAndGet(-missed);
            } while (missed != 0);
        }
    }

    /** The wire form of an event. */
    public static io.meshj.api.tap.v1.TapEvent toProto(TapEvent e) {
        TapRequest r = e.request();
        io.meshj.api.tap.v1.TapEvent.Builder b = io.meshj.api.tap.v1.TapEvent.newBuilder()
                .setId(r.id())
                .setProxyDirection(r.direction() == TapDirection.INBOUND
                        ? io.meshj.api.tap.v1.TapEvent.ProxyDirection.INBOUND
                        : io.meshj.api.tap.v1.TapEvent.ProxyDirection.OUTBOUND)
                .setSource(peer(r.source()))
                .setDestination(peer(r.destination()))
                .setTls(r.tls());
        if (e instanceof TapEvent.RequestInit q) {
            b.setRequestInit(RequestInit.newBuilder().setMethod(q.method()).setScheme(q.scheme())
                    .setAuthority(q.authority()).setPath(q.path()).addAllHeaders(headers(q.headers())));
        } else if (e instanceof TapEvent.ResponseInit s) {
            b.setResponseInit(ResponseInit.newBuilder().setHttpStatus(s.status())
                    .setSinceRequestInit(duration(s.sinceRequestInitNanos())).addAllHeaders(headers(s.headers())));
        } else if (e instanceof TapEvent.ResponseEnd end) {
            ResponseEnd.Builder eb = ResponseEnd.newBuilder()
                    .setSinceResponseInit(duration(end.sinceResponseInitNanos()))
                    .setResponseBytes(end.responseBytes());
            if (end.resetError() != null) {
                eb.setResetError(end.resetError());
            } else if (end.grpcStatus() >= 0) {
                eb.setGrpcStatus(end.grpcStatus());
            }
            b.setResponseEnd(eb);
        }
        return b.build();
    }

    private static Peer peer(TapPeer p) {
        Peer.Builder b = Peer.newBuilder().putAllLabels(p.labels());
        InetSocketAddress a = p.address();
        if (a != null) {
            b.setIp(a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString()).setPort(a.getPort());
        }
        return b.build();
    }

    private static List<Header> headers(List<Map.Entry<String, String>> headers) {
        return headers.stream().map(h -> Header.newBuilder().setName(h.getKey()).setValue(h.getValue()).build()).toList();
    }

    private static com.google.protobuf.Duration duration(long nanos) {
        long n = Math.max(0, nanos);
        return com.google.protobuf.Duration.newBuilder().setSeconds(n / 1_000_000_000L).setNanos((int) (n % 1_000_000_000L)).build();
    }
}
