package io.meshj.proxy.testing;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.meshj.api.destination.v1.AddressSet;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.TcpAddress;
import io.meshj.api.destination.v1.Update;
import io.meshj.api.destination.v1.WeightedAddress;
import io.meshj.core.name.Authority;
import io.meshj.proxy.MeshProxy;
import io.meshj.proxy.ProxyConfig;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A proxy that routes by a service profile, for tests of routes: a {@link TestBackend}, a fake
 * controller whose destination service resolves every name to that backend and answers every profile
 * request with {@code profile} (or never, when it is null: a controller that accepted the stream but
 * says nothing), and a {@link MeshProxy} asking it.
 */
public final class ProfiledProxy implements AutoCloseable {

    private final TestBackend backend;
    private final Server controller;
    private final MeshProxy proxy;

    private ProfiledProxy(TestBackend backend, Server controller, MeshProxy proxy) {
        this.backend = backend;
        this.controller = controller;
        this.proxy = proxy;
    }

    public static ProfiledProxy start(DestinationProfile profile) throws InterruptedException, IOException {
        TestBackend backend = TestBackend.start();
        Server controller = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new FakeDestination(backend.port(), profile)).build().start();
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        MeshProxy proxy = MeshProxy.start(ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any)
                .tapListen(any).destination(Authority.of("127.0.0.1", controller.getPort())).build());
        return new ProfiledProxy(backend, controller, proxy);
    }

    public TestBackend backend() {
        return backend;
    }

    public MeshProxy proxy() {
        return proxy;
    }

    @Override
    public void close() {
        proxy.close();
        controller.shutdownNow();
        backend.close();
    }

    private static final class FakeDestination extends DestinationGrpc.DestinationImplBase {
        private final int port;
        private final DestinationProfile profile;

        FakeDestination(int port, DestinationProfile profile) {
            this.port = port;
            this.profile = profile;
        }

        @Override
        public void get(GetDestination request, StreamObserver<Update> responses) {
            responses.onNext(Update.newBuilder().setAdd(AddressSet.newBuilder().addAddresses(WeightedAddress.newBuilder()
                    .setAddress(TcpAddress.newBuilder().setHost("127.0.0.1").setPort(port)))).build());
        }

        @Override
        public void getProfile(GetDestination request, StreamObserver<DestinationProfile> responses) {
            if (profile != null) {
                responses.onNext(profile);
            }
        }
    }
}
