package io.meshj.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.meshj.api.identity.v1.CertifyRequest;
import io.meshj.api.identity.v1.CertifyResponse;
import io.meshj.api.identity.v1.IdentityGrpc;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An embedded gRPC server and channel, both certified workloads, over real TLS on loopback: identities
 * verified both ways (though the channel's authority, "localhost", is no name in the certificate), the
 * wrong identity refused either way, and a rotated certificate used by the next connection.
 */
class MeshGrpcCredentialsTest {

    private static final WorkloadIdentity WEB = new WorkloadIdentity("web", "emojivoto", "cluster.local");
    private static final WorkloadIdentity EMOJI = new WorkloadIdentity("emoji", "emojivoto", "cluster.local");

    private final CertificateAuthority ca = CertificateAuthority.generate("cluster.local", Clock.systemUTC(), Duration.ofHours(1));
    private final List<java.security.cert.X509Certificate> anchors = List.of(ca.trustAnchor());
    /** Each certifier's own hand-driven scheduler. */
    private final java.util.Map<WorkloadCertifier, WorkloadCertifierTest.ManualScheduler> schedulers = new java.util.HashMap<>();
    private final BlockingQueue<SSLSession> sessions = new LinkedBlockingQueue<>();
    private Server server;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private WorkloadCertifier certified(WorkloadIdentity identity) {
        WorkloadCertifierTest.ManualScheduler scheduler = new WorkloadCertifierTest.ManualScheduler();
        WorkloadCertifier c = WorkloadCertifier.builder(identity, Certifier.of(ca)).scheduler(scheduler).build().start();
        scheduler.runNext();
        schedulers.put(c, scheduler);
        return c;
    }

    private void serve(WorkloadCertifier emoji, MeshTrustManager.IdentityPolicy clients) throws Exception {
        IdentityGrpc.IdentityImplBase echo = new IdentityGrpc.IdentityImplBase() {
            @Override
            public void certify(CertifyRequest request, StreamObserver<CertifyResponse> responses) {
                responses.onNext(CertifyResponse.newBuilder().setLeafCertificate(ByteString.copyFromUtf8(request.getIdentity())).build());
                responses.onCompleted();
            }
        };
        ServerInterceptor recordPeer = new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                sessions.add(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                return next.startCall(call, headers);
            }
        };
        server = Grpc.newServerBuilderForPort(0, MeshGrpcCredentials.server(emoji, anchors, clients))
                .addService(ServerInterceptors.intercept(echo, recordPeer)).build().start();
    }

    private String call(WorkloadCertifier web, MeshTrustManager.IdentityPolicy servers) {
        if (channel != null) {
            channel.shutdownNow();
        }
        channel = Grpc.newChannelBuilder("localhost:" + server.getPort(), MeshGrpcCredentials.channel(web, anchors, servers)).build();
        return IdentityGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .certify(CertifyRequest.newBuilder().setIdentity("ping").build()).getLeafCertificate().toStringUtf8();
    }

    @Test
    void bothSidesVerifyTheOthersIdentity() throws Exception {
        serve(certified(EMOJI), MeshTrustManager.IdentityPolicy.anyIn("cluster.local"));
        assertThat(call(certified(WEB), MeshTrustManager.IdentityPolicy.exactly(EMOJI))).isEqualTo("ping");
        SSLSession session = sessions.poll(5, TimeUnit.SECONDS);
        assertThat(session.getProtocol()).isEqualTo("TLSv1.3");
        assertThat(MeshTls.peerIdentity(session)).contains(WEB);
    }

    @Test
    void aServerWithAnotherIdentityIsRefused() throws Exception {
        serve(certified(EMOJI), MeshTrustManager.IdentityPolicy.anyIn("cluster.local"));
        assertThatThrownBy(() -> call(certified(WEB), MeshTrustManager.IdentityPolicy.exactly(WEB)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE))
                .hasStackTraceContaining("is " + EMOJI + ", not " + WEB);
    }

    @Test
    void aClientTheServerDoesNotAcceptIsRefused() throws Exception {
        serve(certified(EMOJI), MeshTrustManager.IdentityPolicy.exactly(EMOJI));
        assertThatThrownBy(() -> call(certified(WEB), MeshTrustManager.IdentityPolicy.exactly(EMOJI)))
                .isInstanceOf(StatusRuntimeException.class);
        assertThat(sessions).isEmpty();
    }

    @Test
    void theNextConnectionPresentsTheRotatedCertificate() throws Exception {
        WorkloadCertifier emoji = certified(EMOJI);
        serve(emoji, MeshTrustManager.IdentityPolicy.anyIn("cluster.local"));
        WorkloadCertifier web = certified(WEB);
        call(web, MeshTrustManager.IdentityPolicy.exactly(EMOJI));
        java.security.cert.X509Certificate before = (java.security.cert.X509Certificate) sessions.poll(5, TimeUnit.SECONDS)
                .getPeerCertificates()[0];

        schedulers.get(web).runNext(); // web's renewal, due or not: the certificate changes now
        call(web, MeshTrustManager.IdentityPolicy.exactly(EMOJI));
        java.security.cert.X509Certificate after = (java.security.cert.X509Certificate) sessions.poll(5, TimeUnit.SECONDS)
                .getPeerCertificates()[0];
        assertThat(after.getSerialNumber()).isNotEqualTo(before.getSerialNumber());
        assertThat(after).isEqualTo(web.current().orElseThrow().leaf());
    }
}
