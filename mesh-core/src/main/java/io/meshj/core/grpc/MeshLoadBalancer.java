package io.meshj.core.grpc;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import io.meshj.core.balance.P2cBalancer;
import io.meshj.core.balance.Pick;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.name.Authority;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * P2C over peak-EWMA as a gRPC {@link LoadBalancer}: a subchannel per endpoint, connected eagerly (as
 * the sidecar keeps its endpoint connections warm), and a picker over the endpoints whose subchannel is
 * ready. The {@link P2cBalancer} lives as long as the channel, so an endpoint's latency estimate and
 * failure state survive discovery updates and reconnections.
 *
 * <p>Everything but {@link Picker#pickSubchannel} runs in the channel's synchronization context.
 */
final class MeshLoadBalancer extends LoadBalancer {

    private final Helper helper;
    private final P2cBalancer balancer;
    /** By endpoint address, in discovery order. */
    private final Map<Authority, Member> members = new LinkedHashMap<>();
    private boolean serviceExists = true;
    private Status lastFailure = Status.UNAVAILABLE.withDescription("no endpoint has connected yet");

    private final EndpointObserver observer;

    MeshLoadBalancer(Helper helper, P2cBalancer balancer, EndpointObserver observer) {
        this.helper = helper;
        this.balancer = balancer;
        this.observer = observer;
    }

    @Override
    public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
        Boolean exists = resolved.getAttributes().get(MeshLoadBalancerProvider.SERVICE_EXISTS);
        serviceExists = exists == null || exists;
        Map<Authority, EquivalentAddressGroup> wanted = new LinkedHashMap<>();
        Map<Authority, Endpoint> endpoints = new HashMap<>();
        for (EquivalentAddressGroup g : resolved.getAddresses()) {
            Endpoint e = g.getAttributes().get(MeshNameResolverProvider.ENDPOINT);
            if (e == null) {
                continue; // not from the mesh resolver: nothing to balance on
            }
            wanted.put(e.address(), g);
            endpoints.put(e.address(), e);
        }
        members.entrySet().removeIf(entry -> {
            if (wanted.containsKey(entry.getKey())) {
                return false;
            }
            entry.getValue().subchannel.shutdown();
            return true;
        });
        for (Map.Entry<Authority, EquivalentAddressGroup> w : wanted.entrySet()) {
            Member m = members.get(w.getKey());
            if (m != null && m.group.getAddresses().equals(w.getValue().getAddresses())) {
                m.endpoint = endpoints.get(w.getKey()); // labels or identity may have changed
                continue;
            }
            if (m != null) {
                m.subchannel.shutdown(); // it moved (another proxy port): a new connection
            }
            members.put(w.getKey(), connect(w.getValue(), endpoints.get(w.getKey())));
        }
        update();
        return Status.OK;
    }

    private Member connect(EquivalentAddressGroup group, Endpoint endpoint) {
        Subchannel sc = helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(group).build());
        Member m = new Member(group, endpoint, sc);
        sc.start(state -> {
            if (members.get(endpoint.address()) != m) {
                return; // replaced or removed meanwhile
            }
            m.state = state;
            if (state.getState() == ConnectivityState.TRANSIENT_FAILURE) {
                lastFailure = state.getStatus();
            }
            if (state.getState() == ConnectivityState.IDLE) {
                sc.requestConnection(); // keep endpoint connections warm, as the sidecar does
            }
            update();
        });
        sc.requestConnection();
        return m;
    }

    /** Hands the channel a picker over the ready endpoints, or the state that explains why there are none. */
    private void update() {
        List<Endpoint> ready = new ArrayList<>();
        Map<Authority, Subchannel> byAddress = new HashMap<>();
        boolean connecting = false;
        for (Member m : members.values()) {
            ConnectivityState s = m.state.getState();
            if (s == ConnectivityState.READY) {
                ready.add(m.endpoint);
                byAddress.put(m.endpoint.address(), m.subchannel);
            } else if (s == ConnectivityState.CONNECTING || s == ConnectivityState.IDLE) {
                connecting = true;
            }
        }
        balancer.update(ready);
        if (!ready.isEmpty()) {
            helper.updateBalancingState(ConnectivityState.READY, new Picker(balancer, byAddress, observer));
        } else if (connecting) {
            helper.updateBalancingState(ConnectivityState.CONNECTING, new QueuePicker());
        } else {
            Status why = members.isEmpty()
                    ? Status.UNAVAILABLE.withDescription(helper.getAuthority() + (serviceExists
                            ? " has no endpoints" : " is not a service discovery knows"))
                    : lastFailure;
            helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new FailPicker(why));
        }
    }

    @Override
    public void handleNameResolutionError(Status error) {
        if (members.isEmpty()) {
            helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new FailPicker(error));
        }
        // Else keep serving the endpoints we know: the control plane must never take traffic down.
    }

    @Override
    public void requestConnection() {
        for (Member m : members.values()) {
            m.subchannel.requestConnection();
        }
    }

    @Override
    public void shutdown() {
        for (Member m : members.values()) {
            m.subchannel.shutdown();
        }
        members.clear();
    }

    private static final class Member {
        final EquivalentAddressGroup group;
        final Subchannel subchannel;
        Endpoint endpoint;
        ConnectivityStateInfo state = ConnectivityStateInfo.forNonError(ConnectivityState.IDLE);

        Member(EquivalentAddressGroup group, Endpoint endpoint, Subchannel subchannel) {
            this.group = group;
            this.endpoint = endpoint;
            this.subchannel = subchannel;
        }
    }

    /** Picks by P2C among the ready endpoints; may run on any thread. */
    static final class Picker extends SubchannelPicker {
        private final P2cBalancer balancer;
        private final Map<Authority, Subchannel> subchannels;
        private final EndpointObserver observer;

        Picker(P2cBalancer balancer, Map<Authority, Subchannel> subchannels, EndpointObserver observer) {
            this.balancer = balancer;
            this.subchannels = subchannels;
            this.observer = observer;
        }

        @Override
        public PickResult pickSubchannel(PickSubchannelArgs args) {
            Pick pick = balancer.pick();
            if (pick == null) {
                return PickResult.withNoResult();
            }
            Subchannel sc = subchannels.get(pick.endpoint().address());
            if (sc == null) {
                // The balancer moved on since this picker was made; the channel will call the new picker.
                pick.onCancel();
                return PickResult.withNoResult();
            }
            return PickResult.withSubchannel(sc, new PickTracer.Factory(pick, args.getMethodDescriptor().getFullMethodName(), observer));
        }
    }

    /** While endpoints connect: calls wait (the channel buffers them). */
    private static final class QueuePicker extends SubchannelPicker {
        @Override
        public PickResult pickSubchannel(PickSubchannelArgs args) {
            return PickResult.withNoResult();
        }
    }

    private static final class FailPicker extends SubchannelPicker {
        private final PickResult result;

        FailPicker(Status status) {
            this.result = PickResult.withError(status);
        }

        @Override
        public PickResult pickSubchannel(PickSubchannelArgs args) {
            return result;
        }
    }
}
