package io.meshj.controller.tap;

import static java.util.Objects.requireNonNull;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.meshj.api.tap.v1.Lost;
import io.meshj.api.tap.v1.ObserveRequest;
import io.meshj.api.tap.v1.TapEvent;
import io.meshj.api.tap.v1.TapGrpc;
import io.meshj.controller.ResourceType;
import io.meshj.tls.MeshGrpcCredentials;
import io.meshj.tls.MeshTrustManager;
import io.meshj.tls.WorkloadCertifier;
import io.meshj.tls.WorkloadIdentity;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The controller's side of tap (Linkerd's tap APIServer, in small): an Observe names a resource; the
 * broker observes the tap server of each of its workloads with the same match and merges their
 * streams into one. Ids are rewritten to {@code <workload index>:<sequence>} so they stay unique across
 * workloads, and each event names the workload that saw it ({@code observer}).
 *
 * <p>The caller's limit counts requests across all workloads; {@code max_rps} is shared out between
 * them. A caller that reads slower than the events come loses the surplus (reported as {@code lost}),
 * as at the workloads: the broker holds no unbounded buffer.
 */
public final class TapBroker extends TapGrpc.TapImplBase {

    private final Supplier<? extends Collection<TapTarget>> targets;
    private final Function<TapTarget, ManagedChannel> channels;

    public TapBroker(Supplier<? extends Collection<TapTarget>> targets, Function<TapTarget, ManagedChannel> channels) {
        this.targets = requireNonNull(targets, "targets");
        this.channels = requireNonNull(channels, "channels");
    }

    /**
     * Channels to workloads' tap servers: mTLS presenting {@code controller}'s certificate and checking
     * the workload's identity, or plaintext to a workload that has none.
     */
    public static Function<TapTarget, ManagedChannel> channels(WorkloadCertifier controller,
            Collection<X509Certificate> trustAnchors) {
        return t -> t.tlsIdentity() == null
                ? NettyChannelBuilder.forAddress(t.host(), t.port()).usePlaintext().build()
                : NettyChannelBuilder.forAddress(t.host(), t.port(), MeshGrpcCredentials.channel(controller, trustAnchors,
                                MeshTrustManager.IdentityPolicy.exactly(WorkloadIdentity.parseDnsName(t.tlsIdentity()))))
                        .overrideAuthority(t.tlsIdentity()).build();
    }

    @Override
    public void observe(ObserveRequest request, StreamObserver<TapEvent> responses) {
        ResourceType type = ResourceType.parse(request.getResourceType());
        if (type == null) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("unknown resource type \""
                    + request.getResourceType() + "\": " + ResourceType.expected()).asRuntimeException());
            return;
        }
        List<TapTarget> selected = select(type, request.getNamespace(), request.getResourceName());
        if (selected.isEmpty()) {
            String what = request.getResourceType() + (request.getResourceName().isEmpty() ? "" : "/" + request.getResourceName());
            responses.onError(Status.NOT_FOUND.withDescription("no tappable workload for " + what
                    + (type == ResourceType.NAMESPACE || request.getNamespace().isEmpty() ? ""
                            : " in namespace " + request.getNamespace())
                    + " (is it meshed and running?)").asRuntimeException());
            return;
        }
        new Session(request, selected, (ServerCallStreamObserver<TapEvent>) responses).start();
    }

    /** The workloads of the asked resource, in a stable order. */
    private List<TapTarget> select(ResourceType type, String namespace, String name) {
        List<TapTarget> out = new ArrayList<>();
        for (TapTarget t : targets.get()) {
            if (t.port() <= 0 || t.host() == null || t.host().isEmpty()) {
                continue;
            }
            if (type != ResourceType.NAMESPACE && !namespace.isEmpty() && !namespace.equals(t.namespace())) {
                continue;
            }
            if (!name.isEmpty() && !name.equals(t.name(type))) {
                continue;
            }
            out.add(t);
        }
        out.sort(Comparator.comparing(TapTarget::namespace).thenComparing(TapTarget::pod));
        return out;
    }

    /** One caller's tap: its upstream observations and the merge of their events. Guarded by this. */
    private final class Session {
        private final ObserveRequest request;
        private final List<TapTarget> targets;
        private final ServerCallStreamObserver<TapEvent> responses;
        private final List<ManagedChannel> opened = new ArrayList<>();
        private final List<ClientCallStreamObserver<ObserveRequest>> calls = new ArrayList<>();
        private final Set<String> open = new HashSet<>();
        private final List<String> failures = new ArrayList<>();
        private int running;
        private long admitted;
        private long lost;
        private boolean finished;

        Session(ObserveRequest request, List<TapTarget> targets, ServerCallStreamObserver<TapEvent> responses) {
            this.request = request;
            this.targets = targets;
            this.responses = responses;
        }

        void start() {
            responses.setOnCancelHandler(() -> {
                synchronized (this) {
                    finished = true;
                }
                stopUpstreams();
            });
            ObserveRequest upstream = ObserveRequest.newBuilder()
                    .setLimit(request.getLimit())
                    .setMaxRps(request.getMaxRps() / targets.size())
                    .setMatch(request.getMatch())
                    .build();
            synchronized (this) {
                running = targets.size();
            }
            for (int i = 0; i < targets.size(); i++) {
                synchronized (this) {
                    if (finished) {
                        break; // ended already (the limit reached, or the caller gone): open nothing more
                    }
                }
                TapTarget t = targets.get(i);
                ManagedChannel ch;
                try {
                    ch = channels.apply(t);
                } catch (RuntimeException e) {
                    upstreamFailed(t, e);
                    continue;
                }
                synchronized (this) {
                    opened.add(ch);
                    if (finished) {
                        ch.shutdownNow(); // finished while it was being made: stopUpstreams may have run already
                    }
                }
                int index = i;
                TapGrpc.newStub(ch).observe(upstream, new ClientResponseObserver<ObserveRequest, TapEvent>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ObserveRequest> call) {
                        synchronized (Session.this) {
                            calls.add(call);
                            if (finished) {
                                call.cancel("tap finished", null);
                            }
                        }
                    }

                    @Override
                    public void onNext(TapEvent e) {
                        forward(index, t, e);
                    }

                    @Override
                    public void onError(Throwable error) {
                        upstreamFailed(t, error);
                    }

                    @Override
                    public void onCompleted() {
                        upstreamEnded();
                    }
                });
            }
        }

        private synchronized void forward(int index, TapTarget t, TapEvent e) {
            if (finished) {
                return;
            }
            if (e.hasLost()) {
                lost += e.getLost().getCount();
                return;
            }
            String seq = e.getId().substring(e.getId().indexOf(':') + 1);
            String id = index + ":" + seq;
            long limit = Integer.toUnsignedLong(request.getLimit());
            switch (e.getEventCase()) {
                case REQUEST_INIT -> {
                    if (limit > 0 && admitted >= limit) {
                        return; // enough requests: the rest were never asked for
                    }
                    admitted++;
                    open.add(id);
                }
                case RESPONSE_END -> {
                    if (!open.remove(id)) {
                        return;
                    }
                }
                default -> {
                    if (!open.contains(id)) {
                        return;
                    }
                }
            }
            send(e.toBuilder().setId(id).setObserver(t.namespace() + "/" + t.pod()).build());
            if (limit > 0 && admitted >= limit && open.isEmpty()) {
                finish(null);
            }
        }

        /** Sends if the caller takes more now, else drops and counts (told with the next event that goes). */
        private void send(TapEvent e) {
            if (!responses.isReady()) {
                lost++;
                return;
            }
            if (lost > 0) {
                responses.onNext(TapEvent.newBuilder().setLost(Lost.newBuilder().setCount(lost)).build());
                lost = 0;
            }
            responses.onNext(e);
        }

        private synchronized void upstreamFailed(TapTarget t, Throwable error) {
            Status s = Status.fromThrowable(error);
            if (s.getCode() != Status.Code.CANCELLED || !finished) {
                failures.add(t.namespace() + "/" + t.pod() + " (" + t.host() + ":" + t.port() + "): " + s.getCode()
                        + (s.getDescription() == null ? "" : " " + s.getDescription()));
            }
            upstreamEnded();
        }

        private synchronized void upstreamEnded() {
            running--;
            if (running == 0 && !finished) {
                // Every workload's stream ended: a tap nothing could be read from is an error to show.
                finish(admitted == 0 && failures.size() == targets.size()
                        ? Status.UNAVAILABLE.withDescription("cannot tap " + String.join("; ", failures)).asRuntimeException()
                        : null);
            }
        }

        private void finish(StatusRuntimeException error) {
            finished = true;
            if (error != null) {
                responses.onError(error);
            } else {
                responses.onCompleted();
            }
            // Not under this lock: cancelling makes the upstream calls report back (to upstreamFailed).
            java.util.concurrent.ForkJoinPool.commonPool().execute(this::stopUpstreams);
        }

        private void stopUpstreams() {
            List<ClientCallStreamObserver<ObserveRequest>> c;
            List<ManagedChannel> chs;
            synchronized (this) {
                c = List.copyOf(calls);
                chs = List.copyOf(opened);
            }
            for (ClientCallStreamObserver<ObserveRequest> call : c) {
                call.cancel("tap finished", null);
            }
            for (ManagedChannel ch : chs) {
                ch.shutdownNow();
            }
        }
    }
}
