package io.meshj.controller.destination;

import io.grpc.stub.ServerCallStreamObserver;
import io.meshj.api.destination.v1.AddressSet;
import io.meshj.api.destination.v1.NoEndpoints;
import io.meshj.api.destination.v1.ProtocolHint;
import io.meshj.api.destination.v1.TcpAddress;
import io.meshj.api.destination.v1.TlsIdentity;
import io.meshj.api.destination.v1.Update;
import io.meshj.api.destination.v1.WeightedAddress;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.name.Authority;

/**
 * One {@code Get} call: what the backend says about a name, sent to the client as Add / Remove /
 * NoEndpoints updates.
 *
 * <p>The stream keeps two states, the backend's latest and the one the client was last sent, and
 * sends the difference whenever the call can take messages. So a slow client costs one endpoint set,
 * not a queue of every change it has not read: changes it could not take are merged, and it catches
 * up with the net effect (gRPC flow control; the idea is Linkerd's destination "update coalescing").
 * The first message always states the whole current answer: every endpoint, or NoEndpoints once.
 */
final class EndpointStream extends WatchingCall<Update> {

    /** What the backend says now; null until it has answered. */
    private EndpointSet current;
    /** What the client was last told; null before the first message. */
    private EndpointSet sent;

    EndpointStream(ServerCallStreamObserver<Update> call) {
        super(call);
    }

    /** A change from the backend (any thread). */
    synchronized void onUpdate(EndpointUpdate update) {
        if (cancelled) {
            return;
        }
        current = (current == null ? EndpointSet.empty() : current).apply(update);
        drain();
    }

    @Override
    synchronized void drain() {
        if (cancelled || current == null || !call.isReady()) {
            return;
        }
        if (sent == null) {
            call.onNext(toProto(current.asInitialUpdate()));
        } else {
            for (EndpointUpdate u : sent.updatesTo(current)) {
                call.onNext(toProto(u));
            }
        }
        sent = current;
    }

    private static Update toProto(EndpointUpdate u) {
        if (u instanceof EndpointUpdate.Add a) {
            return add(a.endpoints());
        }
        if (u instanceof EndpointUpdate.Remove r) {
            AddressSet.Builder set = AddressSet.newBuilder();
            for (Authority address : r.addresses()) {
                set.addAddresses(WeightedAddress.newBuilder().setAddress(tcp(address)));
            }
            return Update.newBuilder().setRemove(set).build();
        }
        return noEndpoints(((EndpointUpdate.NoEndpoints) u).exists());
    }

    private static Update add(Iterable<Endpoint> endpoints) {
        AddressSet.Builder set = AddressSet.newBuilder();
        for (Endpoint e : endpoints) {
            set.addAddresses(toProto(e));
        }
        return Update.newBuilder().setAdd(set).build();
    }

    private static Update noEndpoints(boolean exists) {
        return Update.newBuilder().setNoEndpoints(NoEndpoints.newBuilder().setExists(exists)).build();
    }

    static WeightedAddress toProto(Endpoint e) {
        WeightedAddress.Builder b = WeightedAddress.newBuilder()
                .setAddress(tcp(e.address()))
                .setWeight(e.weight())
                .putAllMetricLabels(e.labels())
                .setProtocolHint(switch (e.protocolHint()) {
                    case H2 -> ProtocolHint.PROTOCOL_HINT_H2;
                    case OPAQUE -> ProtocolHint.PROTOCOL_HINT_OPAQUE;
                    case UNKNOWN -> ProtocolHint.PROTOCOL_HINT_UNSPECIFIED;
                })
                .setInboundPort(e.inboundPort());
        e.tlsIdentity().ifPresent(id -> {
            TlsIdentity.Builder t = TlsIdentity.newBuilder().setName(id);
            try {
                t.setSpiffeId(io.meshj.tls.WorkloadIdentity.parseDnsName(id).spiffeId());
            } catch (IllegalArgumentException notOurs) {
                // a static entry may name any identity; it has no SPIFFE form then
            }
            b.setTlsIdentity(t);
        });
        return b.build();
    }

    private static TcpAddress tcp(Authority address) {
        return TcpAddress.newBuilder().setHost(address.host()).setPort(Math.max(address.port(), 0)).build();
    }
}
