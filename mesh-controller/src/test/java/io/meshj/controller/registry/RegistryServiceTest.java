package io.meshj.controller.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.ProtocolHint;
import io.meshj.api.destination.v1.Update;
import io.meshj.api.registry.v1.Lease;
import io.meshj.api.registry.v1.RegisterRequest;
import io.meshj.api.registry.v1.RegistryGrpc;
import io.meshj.api.registry.v1.RenewRequest;
import io.meshj.api.registry.v1.Workload;
import io.meshj.controller.Controller;
import io.meshj.controller.identity.LocalTokens;
import io.meshj.tls.WorkloadIdentity;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.time.Ticker;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A workload registers over gRPC, and a client of the destination API on the same port sees it. */
class RegistryServiceTest {

    private static final java.time.Clock CLOCK = java.time.Clock.systemUTC();
    private final LocalTokens tokens = new LocalTokens(LocalTokens.newKey(), CLOCK);
    private RegistryService service;
    private Controller controller;
    private ManagedChannel channel;

    @BeforeEach
    void start() {
        LocalRegistry registry = LocalRegistry.open(null, Ticker.system(), AuthorityNormalizer.defaults());
        controller = Controller.builder().destinationListen(new InetSocketAddress("127.0.0.1", 0)).backend(registry)
                .service((service = new RegistryService(registry, tokens, "cluster.local")).bindService()).start();
        channel = NettyChannelBuilder.forAddress(controller.destinationAddress()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controller.close();
    }

    @Test
    void aRegisteredWorkloadIsServedByTheDestinationApi() {
        RegistryGrpc.RegistryBlockingStub registry = RegistryGrpc.newBlockingStub(channel);
        Lease lease = registry.register(RegisterRequest.newBuilder().setWorkload(Workload.newBuilder()
                .setName("web-1").setNamespace("emojivoto").setService("web").setPort(8080).setAddress("10.0.0.1")
                .setServiceAccount("web").setProtocolHint(ProtocolHint.PROTOCOL_HINT_H2).setInboundPort(4143)
                .setTlsIdentity(WEB.dnsName()))
                .setToken(token(WEB)).build());
        assertThat(lease.getId()).isNotEmpty();
        assertThat(lease.getTtl().getSeconds()).isEqualTo(30);

        Iterator<Update> updates = DestinationGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .get(GetDestination.newBuilder().setPath("web.emojivoto:8080").build());
        Update first = updates.next();
        assertThat(first.getAdd().getAddresses(0).getAddress().getHost()).isEqualTo("10.0.0.1");
        assertThat(first.getAdd().getAddresses(0).getMetricLabelsMap()).containsEntry("pod", "web-1");
        // Announced by the workload, proven by its token: clients will expect this identity in mTLS.
        assertThat(first.getAdd().getAddresses(0).getTlsIdentity().getName()).isEqualTo(WEB.dnsName());

        assertThat(registry.renew(RenewRequest.newBuilder().setLeaseId(lease.getId()).build()).getId()).isEqualTo(lease.getId());
    }

    @Test
    void errorsAreStatusesNamingTheProblem() {
        RegistryGrpc.RegistryBlockingStub registry = RegistryGrpc.newBlockingStub(channel);
        assertThatThrownBy(() -> registry.register(RegisterRequest.newBuilder().setWorkload(Workload.newBuilder()
                .setNamespace("emojivoto").setService("web").setPort(8080).setAddress("not-an-ip").setServiceAccount("web"))
                .setToken(token(WEB)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("not-an-ip");
                });
        assertThatThrownBy(() -> registry.renew(RenewRequest.newBuilder().setLeaseId("nope").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void registeringNeedsATokenForTheWorkloadsOwnIdentity() {
        RegistryGrpc.RegistryBlockingStub registry = RegistryGrpc.newBlockingStub(channel);
        Workload.Builder web = Workload.newBuilder().setName("web-1").setNamespace("emojivoto").setService("web")
                .setPort(8080).setAddress("10.0.0.1").setServiceAccount("web");
        WorkloadIdentity emoji = new WorkloadIdentity("emoji", "emojivoto", "cluster.local");
        assertRefused(() -> registry.register(RegisterRequest.newBuilder().setWorkload(web).build()), "no token");
        assertRefused(() -> registry.register(RegisterRequest.newBuilder().setWorkload(web).setToken(token(emoji)).build()),
                "emoji");
        assertRefused(() -> registry.register(RegisterRequest.newBuilder().setWorkload(web)
                .setToken(com.google.protobuf.ByteString.copyFromUtf8("forged.token")).build()), "token");
        // A valid token for web, but the workload claims to present emoji's identity.
        assertRefused(() -> registry.register(RegisterRequest.newBuilder().setWorkload(web.clone().setTlsIdentity(emoji.dnsName()))
                .setToken(token(WEB)).build()), "claims the mTLS identity");
        assertThat(service.refusedCount()).isEqualTo(4);
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(e.getStatus().getDescription()).contains(reason);
        });
    }

    private com.google.protobuf.ByteString token(WorkloadIdentity identity) {
        return com.google.protobuf.ByteString.copyFromUtf8(tokens.mint(identity, java.time.Duration.ofHours(1)));
    }

    private static final WorkloadIdentity WEB = new WorkloadIdentity("web", "emojivoto", "cluster.local");
}
