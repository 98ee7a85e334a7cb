package io.meshj.core.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.meshj.core.balance.P2cBalancer;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.name.Authority;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The balancer of mesh:/// channels against a fake channel: it picks only endpoints whose connection is
 * ready, buffers calls while they connect, explains failures, drops endpoints discovery removed, and
 * reports each call to the pick and the observer.
 */
class MeshLoadBalancerTest {

    private static final MethodDescriptor<String, String> SAY = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("test.Echo/Say")
            .setRequestMarshaller(new Strings()).setResponseMarshaller(new Strings()).build();

    private final FakeHelper helper = new FakeHelper();
    private final List<String> observed = new ArrayList<>();
    private final EndpointObserver observer = (endpoint, method, info, headers) -> {
        observed.add(endpoint.address() + " " + method);
        return null;
    };
    private final MeshLoadBalancer lb = new MeshLoadBalancer(helper,
            P2cBalancer.builder().random(new SplittableRandom(7)).build(), observer);

    @Test
    void picksOnlyReadyEndpointsAndReportsEachCall() {
        Endpoint a = endpoint("10.0.0.1:8080", 0);
        Endpoint b = endpoint("10.0.0.2:8080", 0);
        assertThat(lb.acceptResolvedAddresses(resolved(true, a, b))).isEqualTo(Status.OK);
        assertThat(helper.state).isEqualTo(ConnectivityState.CONNECTING);
        assertThat(helper.picker.pickSubchannel(args()).hasResult()).isFalse(); // buffered while connecting
        assertThat(helper.subchannel(a).connectionRequests).isEqualTo(1);

        helper.subchannel(a).becomes(ConnectivityState.READY);
        assertThat(helper.state).isEqualTo(ConnectivityState.READY);
        for (int i = 0; i < 20; i++) {
            LoadBalancer.PickResult r = helper.picker.pickSubchannel(args());
            assertThat(r.getSubchannel()).isSameAs(helper.subchannel(a));
            finish(r, new Metadata(), Status.OK);
        }
        assertThat(observed).hasSize(20).allMatch(s -> s.equals("10.0.0.1:8080 test.Echo/Say"));

        // Once b is ready it takes load: with calls outstanding (pending counts in peak-EWMA's load),
        // P2C spreads them over both.
        helper.subchannel(b).becomes(ConnectivityState.READY);
        Map<Object, Integer> counts = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            counts.merge(helper.picker.pickSubchannel(args()).getSubchannel(), 1, Integer::sum);
        }
        assertThat(counts.keySet()).containsExactlyInAnyOrder(helper.subchannel(a), helper.subchannel(b));
    }

    @Test
    void tellsAProxyFrontingTheEndpointWhichEndpointIsMeant() {
        Endpoint proxied = endpoint("10.0.0.3:8080", 4143);
        lb.acceptResolvedAddresses(resolved(true, proxied));
        FakeSubchannel sc = helper.subchannels.get(0);
        assertThat(sc.addresses.getAddresses()).containsExactly(new InetSocketAddress("10.0.0.3", 4143));
        sc.becomes(ConnectivityState.READY);
        Metadata headers = new Metadata();
        finish(helper.picker.pickSubchannel(args()), headers, Status.OK);
        assertThat(headers.get(PickTracer.DST_ADDR)).isEqualTo("10.0.0.3:8080");
    }

    @Test
    void failuresAreExplained() {
        lb.acceptResolvedAddresses(resolved(false));
        assertThat(helper.state).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
        assertThat(helper.picker.pickSubchannel(args()).getStatus().getDescription())
                .isEqualTo("svc.ns:8080 is not a service discovery knows");
        lb.acceptResolvedAddresses(resolved(true));
        assertThat(helper.picker.pickSubchannel(args()).getStatus().getDescription()).isEqualTo("svc.ns:8080 has no endpoints");

        Endpoint a = endpoint("10.0.0.1:8080", 0);
        lb.acceptResolvedAddresses(resolved(true, a));
        helper.subchannel(a).becomes(ConnectivityStateInfo.forTransientFailure(
                Status.UNAVAILABLE.withDescription("connection refused")));
        assertThat(helper.state).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
        assertThat(helper.picker.pickSubchannel(args()).getStatus().getDescription()).isEqualTo("connection refused");
    }

    @Test
    void endpointsDiscoveryRemovedAreClosedAndNoLongerPicked() {
        Endpoint a = endpoint("10.0.0.1:8080", 0);
        Endpoint b = endpoint("10.0.0.2:8080", 0);
        lb.acceptResolvedAddresses(resolved(true, a, b));
        helper.subchannel(a).becomes(ConnectivityState.READY);
        helper.subchannel(b).becomes(ConnectivityState.READY);
        FakeSubchannel gone = helper.subchannel(b);
        lb.acceptResolvedAddresses(resolved(true, a));
        assertThat(gone.shutdown).isTrue();
        for (int i = 0; i < 50; i++) {
            assertThat(helper.picker.pickSubchannel(args()).getSubchannel()).isSameAs(helper.subchannel(a));
        }
        // A late state change of the removed subchannel changes nothing.
        gone.becomes(ConnectivityState.READY);
        assertThat(helper.picker.pickSubchannel(args()).getSubchannel()).isSameAs(helper.subchannel(a));
    }

    @Test
    void aResolverErrorKeepsTheKnownEndpoints() {
        Endpoint a = endpoint("10.0.0.1:8080", 0);
        lb.acceptResolvedAddresses(resolved(true, a));
        helper.subchannel(a).becomes(ConnectivityState.READY);
        lb.handleNameResolutionError(Status.UNAVAILABLE.withDescription("controller gone"));
        assertThat(helper.state).isEqualTo(ConnectivityState.READY);
    }

    private static void finish(LoadBalancer.PickResult r, Metadata headers, Status status) {
        ClientStreamTracer t = r.getStreamTracerFactory().newClientStreamTracer(
                ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build(), headers);
        t.inboundHeaders(new Metadata()); // the one gRPC-Java calls
        if (t instanceof PickTracer p) {
            assertThat(p.headersNanos()).isNotNegative(); // peak-EWMA measures to the response's head
        }
        t.streamClosed(status);
    }

    private static Endpoint endpoint(String address, int inboundPort) {
        return Endpoint.builder(Authority.parse(address)).inboundPort(inboundPort).build();
    }

    private static LoadBalancer.ResolvedAddresses resolved(boolean exists, Endpoint... endpoints) {
        List<EquivalentAddressGroup> groups = new ArrayList<>();
        for (Endpoint e : endpoints) {
            int port = e.inboundPort() > 0 ? e.inboundPort() : e.address().port();
            groups.add(new EquivalentAddressGroup(new InetSocketAddress(e.address().host(), port),
                    Attributes.newBuilder().set(MeshNameResolverProvider.ENDPOINT, e).build()));
        }
        return LoadBalancer.ResolvedAddresses.newBuilder().setAddresses(groups)
                .setAttributes(Attributes.newBuilder().set(MeshLoadBalancerProvider.SERVICE_EXISTS, exists).build())
                .build();
    }

    private static LoadBalancer.PickSubchannelArgs args() {
        return new LoadBalancer.PickSubchannelArgs() {
            @Override
            public CallOptions getCallOptions() {
                return CallOptions.DEFAULT;
            }

            @Override
            public Metadata getHeaders() {
                return new Metadata();
            }

            @Override
            public MethodDescriptor<?, ?> getMethodDescriptor() {
                return SAY;
            }
        };
    }

    /** The channel's side, as far as a balancer sees it. */
    private static final class FakeHelper extends LoadBalancer.Helper {
        final List<FakeSubchannel> subchannels = new ArrayList<>();
        ConnectivityState state;
        LoadBalancer.SubchannelPicker picker;

        FakeSubchannel subchannel(Endpoint e) {
            for (int i = subchannels.size() - 1; i >= 0; i--) {
                FakeSubchannel sc = subchannels.get(i);
                if (sc.addresses.getAttributes().get(MeshNameResolverProvider.ENDPOINT).address().equals(e.address())) {
                    return sc;
                }
            }
            throw new AssertionError("no subchannel for " + e);
        }

        @Override
        public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
            FakeSubchannel sc = new FakeSubchannel(args.getAddresses().get(0));
            subchannels.add(sc);
            return sc;
        }

        @Override
        public void updateBalancingState(ConnectivityState newState, LoadBalancer.SubchannelPicker newPicker) {
            state = newState;
            picker = newPicker;
        }

        @Override
        public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String getAuthority() {
            return "svc.ns:8080";
        }
    }

    private static final class FakeSubchannel extends LoadBalancer.Subchannel {
        final EquivalentAddressGroup addresses;
        LoadBalancer.SubchannelStateListener listener;
        int connectionRequests;
        boolean shutdown;

        FakeSubchannel(EquivalentAddressGroup addresses) {
            this.addresses = addresses;
        }

        void becomes(ConnectivityState state) {
            becomes(ConnectivityStateInfo.forNonError(state));
        }

        void becomes(ConnectivityStateInfo state) {
            listener.onSubchannelState(state);
        }

        @Override
        public void start(LoadBalancer.SubchannelStateListener listener) {
            this.listener = listener;
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public void requestConnection() {
            connectionRequests++;
        }

        @Override
        public List<EquivalentAddressGroup> getAllAddresses() {
            return List.of(addresses);
        }

        @Override
        public Attributes getAttributes() {
            return Attributes.EMPTY;
        }
    }

    private static final class Strings implements MethodDescriptor.Marshaller<String> {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            return "";
        }
    }
}
