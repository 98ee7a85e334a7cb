package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.meshj.api.tap.v1.Match;
import io.meshj.api.tap.v1.ObserveRequest;
import io.meshj.api.tap.v1.TapEvent;
import io.meshj.api.tap.v1.TapGrpc;
import io.meshj.core.testing.KeepAliveHttpClient;
import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import io.meshj.proxy.testing.TestIdentityServer;
import io.meshj.tls.Certifier;
import io.meshj.tls.MeshGrpcCredentials;
import io.meshj.tls.MeshTrustManager;
import io.meshj.tls.WorkloadCertifier;
import io.meshj.tls.WorkloadIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tap through real proxies: the controller's identity observes a proxy over mTLS and sees exactly the
 * requests made, with their fields; any other identity is refused; a tap that stops reading loses
 * events but never holds the traffic back.
 */
class TapIT {

    private static final WorkloadIdentity WEB = TestIdentityServer.identity("web");
    private static final WorkloadIdentity CLIENT = TestIdentityServer.identity("client");
    private static final WorkloadIdentity CONTROLLER = new WorkloadIdentity("controller", "meshj", WorkloadIdentity.DEFAULT_TRUST_DOMAIN);

    @TempDir
    static Path dir;

    static TestIdentityServer identity;
    static MeshFixture mesh;
    static WorkloadCertifier controller;
    static WorkloadCertifier intruder;
    static java.util.concurrent.ScheduledExecutorService renewals;

    @BeforeAll
    static void start() throws Exception {
        identity = TestIdentityServer.start(dir.resolve("ca"), Duration.ofHours(24));
        mesh = new MeshFixture(dir);
        mesh.service("secure.default:80", "    - address: 127.0.0.1:" + mesh.backend().port()
                        + "\n      inboundPort: %INBOUND%\n      identity: " + WEB.dnsName() + "\n      protocol: h2")
                .serverConfig(b -> identity.configure(b, "web"))
                .clientConfig(b -> identity.configure(b, "client"))
                .start();
        renewals = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        controller = WorkloadCertifier.builder(CONTROLLER, Certifier.of(identity.ca())).scheduler(renewals).build().start();
        intruder = WorkloadCertifier.builder(TestIdentityServer.identity("intruder"), Certifier.of(identity.ca()))
                .scheduler(renewals).build().start();
        controller.firstCertificate().get(10, TimeUnit.SECONDS);
        intruder.firstCertificate().get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> mesh.client().isReady() && mesh.server().isReady());
    }

    @AfterAll
    static void stop() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
        if (controller != null) {
            controller.close();
            intruder.close();
            renewals.shutdownNow();
        }
        identity.close();
    }

    @Test
    void theControllerSeesEachRequestWithItsFieldsOnBothProxies() throws Exception {
        ManagedChannel server = channel(controller, mesh.server(), WEB);
        ManagedChannel client = channel(controller, mesh.client(), CLIENT);
        try {
            ObserveRequest observe = ObserveRequest.newBuilder().setLimit(3)
                    .setMatch(Match.newBuilder().setAuthority("secure")).build();
            CompletableFuture<List<TapEvent>> inbound = collect(server, observe);
            CompletableFuture<List<TapEvent>> outbound = collect(client, observe);
            await().atMost(Duration.ofSeconds(10)).until(() -> mesh.server().tapBus().hasSubscribers()
                    && mesh.client().tapBus().hasSubscribers());

            curl("/status?code=200");
            curl("/status?code=503");
            curl("/grpc-status?code=2");

            List<TapEvent> in = inbound.get(10, TimeUnit.SECONDS);
            assertThat(in).hasSize(9);
            Map<String, List<TapEvent>> byId = in.stream().collect(Collectors.groupingBy(TapEvent::getId,
                    java.util.LinkedHashMap::new, Collectors.toList()));
            assertThat(byId).hasSize(3);
            List<List<TapEvent>> requests = new ArrayList<>(byId.values());
            for (List<TapEvent> r : requests) {
                assertThat(r).extracting(TapEvent::getEventCase).containsExactly(TapEvent.EventCase.REQUEST_INIT,
                        TapEvent.EventCase.RESPONSE_INIT, TapEvent.EventCase.RESPONSE_END);
                TapEvent req = r.get(0);
                assertThat(req.getProxyDirection()).isEqualTo(TapEvent.ProxyDirection.INBOUND);
                assertThat(req.getTls()).isTrue();
                assertThat(req.getSource().getIp()).isEqualTo("127.0.0.1");
                assertThat(req.getSource().getLabelsMap()).containsEntry("serviceaccount", "client");
                assertThat(req.getDestination().getIp()).isEqualTo("127.0.0.1");
                assertThat(req.getDestination().getPort()).isEqualTo(mesh.backend().port());
                assertThat(req.getDestination().getLabelsMap()).containsEntry("serviceaccount", "web");
                assertThat(req.getRequestInit().getMethod()).isEqualTo("GET");
                assertThat(req.getRequestInit().getAuthority()).isEqualTo("secure");
                assertThat(req.getRequestInit().getHeadersList()).anyMatch(h -> h.getName().equals("x-tap-test"));
            }
            assertThat(requests).extracting(r -> r.get(0).getRequestInit().getPath())
                    .containsExactly("/status?code=200", "/status?code=503", "/grpc-status?code=2");
            assertThat(requests).extracting(r -> r.get(1).getResponseInit().getHttpStatus()).containsExactly(200, 503, 200);
            assertThat(requests.get(0).get(2).getResponseEnd().getResponseBytes()).isEqualTo("status\n".length());
            assertThat(requests.get(0).get(2).getResponseEnd().getEndCase())
                    .isEqualTo(io.meshj.api.tap.v1.ResponseEnd.EndCase.END_NOT_SET);
            assertThat(requests.get(2).get(2).getResponseEnd().getGrpcStatus()).isEqualTo(2);

            List<TapEvent> out = outbound.get(10, TimeUnit.SECONDS);
            assertThat(out).hasSize(9);
            TapEvent req = out.get(0);
            assertThat(req.getProxyDirection()).isEqualTo(TapEvent.ProxyDirection.OUTBOUND);
            assertThat(req.getTls()).isTrue();
            assertThat(req.getDestination().getPort()).isEqualTo(mesh.backend().port()); // the endpoint, not its proxy
            assertThat(req.getSource().getLabelsMap()).containsEntry("serviceaccount", "client");
            assertThat(mesh.server().tapBus().hasSubscribers()).isFalse();
        } finally {
            server.shutdownNow();
            client.shutdownNow();
        }
    }

    @Test
    void onlyTheControllersIdentityMayTap() {
        ManagedChannel asIntruder = channel(intruder, mesh.server(), WEB);
        ManagedChannel anonymous = NettyChannelBuilder.forAddress("127.0.0.1", mesh.server().tapAddress().getPort(),
                MeshGrpcCredentials.channel((io.meshj.tls.RotatingKeyManager) null, anchors(),
                        MeshTrustManager.IdentityPolicy.exactly(WEB))).overrideAuthority(WEB.dnsName()).build();
        try {
            for (ManagedChannel ch : List.of(asIntruder, anonymous)) {
                assertThatThrownBy(() -> TapGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .observe(ObserveRequest.getDefaultInstance()).hasNext())
                        .isInstanceOf(StatusRuntimeException.class)
                        .hasMessageContaining("UNAVAILABLE");
            }
            assertThat(mesh.server().tapBus().hasSubscribers()).isFalse();
        } finally {
            asIntruder.shutdownNow();
            anonymous.shutdownNow();
        }
    }

    @Test
    void aTapThatStopsReadingLosesEventsAndNeverHoldsTrafficBack() throws Exception {
        ManagedChannel server = channel(controller, mesh.server(), WEB);
        AtomicReference<ClientCallStreamObserver<ObserveRequest>> call = new AtomicReference<>();
        List<TapEvent> received = new CopyOnWriteArrayList<>();
        try {
            TapGrpc.newStub(server).observe(ObserveRequest.getDefaultInstance(), new ClientResponseObserver<ObserveRequest, TapEvent>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<ObserveRequest> requestStream) {
                    requestStream.disableAutoRequestWithInitial(0); // a reader that reads nothing
                    call.set(requestStream);
                }

                @Override
                public void onNext(TapEvent value) {
                    received.add(value);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> mesh.server().tapBus().hasSubscribers());

            // Each request's events carry a 2 kB query: far more than the HTTP/2 window (1 MiB) and the
            // subscription's queue can hold between them, so some must be dropped.
            int n = 2_000;
            String path = "/hello?pad=" + "x".repeat(2_000);
            try (KeepAliveHttpClient c = new KeepAliveHttpClient(mesh.client().outboundAddress().getPort())) {
                for (int i = 0; i < n; i++) {
                    assertThat(c.get("secure", path)).startsWith("200");
                }
            }
            assertThat(received).isEmpty();
            call.get().request(Integer.MAX_VALUE);
            // Everything was either delivered late or counted lost: nothing vanished silently.
            await().atMost(Duration.ofSeconds(20)).until(() -> received.stream().filter(e -> !e.hasLost()).count()
                    + received.stream().filter(TapEvent::hasLost).mapToLong(e -> e.getLost().getCount()).sum() == 3L * n);
            assertThat(received.stream().filter(TapEvent::hasLost).mapToLong(e -> e.getLost().getCount()).sum()).isPositive();
            assertThat(mesh.server().tapBus().lostEvents()).isPositive();
        } finally {
            if (call.get() != null) {
                call.get().cancel("done", null);
            }
            server.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !mesh.server().tapBus().hasSubscribers());
    }

    private static void curl(String path) throws Exception {
        Processes.curl("-s", "-o", "/dev/null", "-H", "Host: secure", "-H", "x-tap-test: 1", mesh.outboundUrl(path))
                .assertSuccess();
    }

    private static CompletableFuture<List<TapEvent>> collect(ManagedChannel ch, ObserveRequest request) {
        return CompletableFuture.supplyAsync(() -> {
            List<TapEvent> out = new ArrayList<>();
            Iterator<TapEvent> it = TapGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).observe(request);
            it.forEachRemaining(out::add);
            return out;
        });
    }

    private static ManagedChannel channel(WorkloadCertifier as, MeshProxy proxy, WorkloadIdentity proxyIdentity) {
        return NettyChannelBuilder.forAddress("127.0.0.1", proxy.tapAddress().getPort(),
                        MeshGrpcCredentials.channel(as, anchors(), MeshTrustManager.IdentityPolicy.exactly(proxyIdentity)))
                .overrideAuthority(proxyIdentity.dnsName()).build();
    }

    private static List<java.security.cert.X509Certificate> anchors() {
        return List.of(identity.ca().trustAnchor());
    }
}
