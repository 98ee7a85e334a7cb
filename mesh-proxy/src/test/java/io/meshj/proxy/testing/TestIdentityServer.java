package io.meshj.proxy.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.meshj.api.identity.v1.CertifyRequest;
import io.meshj.api.identity.v1.CertifyResponse;
import io.meshj.api.identity.v1.IdentityGrpc;
import io.meshj.proxy.ProxyConfigBuilder;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.Pem;
import io.meshj.tls.WorkloadIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The controller's Identity API as the proxy sees it, served for real over gRPC on loopback by a
 * {@link CertificateAuthority} of the test's own. (The controller's own service, with its token checks,
 * is tested in mesh-controller; here the token only has to name the identity: {@code token:<dns name>}.)
 * It can be stopped and started again on the same port, as a controller restarting would be.
 */
public final class TestIdentityServer implements AutoCloseable {

    private final CertificateAuthority ca;
    private final Path dir;
    private final AtomicInteger certified = new AtomicInteger();
    private Server server;
    private int port;

    private TestIdentityServer(CertificateAuthority ca, Path dir) {
        this.ca = ca;
        this.dir = dir;
    }

    /** A server with a new CA issuing leaves of {@code lifetime}; its trust anchor is written to {@code dir}. */
    public static TestIdentityServer start(Path dir, Duration lifetime) throws IOException {
        TestIdentityServer s = new TestIdentityServer(CertificateAuthority.generate("cluster.local", Clock.systemUTC(), lifetime), dir);
        Files.createDirectories(dir);
        Files.writeString(s.trustAnchors(), Pem.write(s.ca.trustAnchor()));
        s.port = 0;
        s.startServer();
        return s;
    }

    private void startServer() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .addService(new Service())
                .build()
                .start();
        port = server.getPort();
    }

    /** Starts again on the same port after {@link #stop()}. */
    public void restart() throws IOException {
        startServer();
    }

    public void stop() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    public int port() {
        return port;
    }

    public CertificateAuthority ca() {
        return ca;
    }

    public Path trustAnchors() {
        return dir.resolve("trust-anchors.pem");
    }

    public int certifiedCount() {
        return certified.get();
    }

    /** Sets {@code b} up to be certified as {@code serviceAccount} in {@code default} by this server. */
    public ProxyConfigBuilder configure(ProxyConfigBuilder b, String serviceAccount) {
        WorkloadIdentity id = identity(serviceAccount);
        Path token = dir.resolve(serviceAccount + ".token");
        try {
            Files.writeString(token, "token:" + id.dnsName() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.identity(io.meshj.core.name.Authority.of("127.0.0.1", port)).identityTokenFile(token)
                .trustAnchors(trustAnchors()).serviceAccount(serviceAccount).namespace("default");
    }

    public static WorkloadIdentity identity(String serviceAccount) {
        return new WorkloadIdentity(serviceAccount, "default", "cluster.local");
    }

    private final class Service extends IdentityGrpc.IdentityImplBase {
        @Override
        public void certify(CertifyRequest request, StreamObserver<CertifyResponse> responses) {
            if (!request.getToken().toString(StandardCharsets.US_ASCII).equals("token:" + request.getIdentity())) {
                responses.onError(Status.PERMISSION_DENIED.withDescription("token does not name " + request.getIdentity())
                        .asRuntimeException());
                return;
            }
            try {
                CertificateAuthority.Issued issued = ca.certify(WorkloadIdentity.parseDnsName(request.getIdentity()),
                        request.getCertificateSigningRequest().toByteArray());
                CertifyResponse.Builder r = CertifyResponse.newBuilder()
                        .setLeafCertificate(ByteString.copyFrom(issued.leaf().getEncoded()))
                        .setValidUntil(Timestamp.newBuilder().setSeconds(issued.validUntil().getEpochSecond()));
                for (var c : issued.intermediates()) {
                    r.addIntermediateCertificates(ByteString.copyFrom(c.getEncoded()));
                }
                certified.incrementAndGet();
                responses.onNext(r.build());
                responses.onCompleted();
            } catch (IllegalArgumentException e) {
                responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            } catch (CertificateEncodingException e) {
                responses.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
