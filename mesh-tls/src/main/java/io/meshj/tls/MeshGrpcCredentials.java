package io.meshj.tls;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettySslContextChannelCredentials;
import io.grpc.netty.NettySslContextServerCredentials;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.SSLException;

/**
 * gRPC credentials for embedded apps, on the same footing as the sidecar: TLS 1.3, the workload's
 * certificate from its {@link WorkloadCertifier} (rotating without rebuilding channels or servers),
 * the mesh's trust anchors, and the peer's identity checked by a {@link MeshTrustManager.IdentityPolicy}.
 *
 * <pre>{@code
 * WorkloadCertifier certifier = ...;            // certified as web.emojivoto
 * Server server = Grpc.newServerBuilderForPort(8080,
 *         MeshGrpcCredentials.server(certifier, anchors, IdentityPolicy.anyIn("cluster.local"))).build();
 * ManagedChannel channel = Grpc.newChannelBuilder("emoji.emojivoto.svc:8080",
 *         MeshGrpcCredentials.channel(certifier, anchors, IdentityPolicy.exactly(emojiIdentity))).build();
 * }</pre>
 */
public final class MeshGrpcCredentials {

    private MeshGrpcCredentials() {
    }

    /** Credentials for a channel whose servers must satisfy {@code servers}. */
    public static ChannelCredentials channel(WorkloadCertifier certifier, Collection<X509Certificate> trustAnchors,
            MeshTrustManager.IdentityPolicy servers) {
        return channel(certifier.keyManager(), trustAnchors, servers);
    }

    /**
     * As {@link #channel(WorkloadCertifier, Collection, MeshTrustManager.IdentityPolicy)}, presenting what
     * {@code keys} holds at each handshake (nothing, while it is empty or null: a workload asking the
     * controller for its first certificate).
     */
    public static ChannelCredentials channel(RotatingKeyManager keys, Collection<X509Certificate> trustAnchors,
            MeshTrustManager.IdentityPolicy servers) {
        SslProvider provider = MeshTls.provider();
        try {
            SslContextBuilder b = GrpcSslContexts.configure(SslContextBuilder.forClient(), provider)
                    .protocols(MeshTls.TLS_1_3)
                    .trustManager(new MeshTrustManager(trustAnchors, servers, refuseAll()));
            if (keys != null) {
                b.keyManager(keys);
            }
            return NettySslContextChannelCredentials.create(b.build());
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the gRPC client TLS context: " + e.getMessage(), e);
        }
    }

    /** Credentials for a server that requires clients satisfying {@code clients}. */
    public static ServerCredentials server(WorkloadCertifier certifier, Collection<X509Certificate> trustAnchors,
            MeshTrustManager.IdentityPolicy clients) {
        return server(certifier, trustAnchors, clients, ClientAuth.REQUIRE);
    }

    /**
     * As {@link #server(WorkloadCertifier, Collection, MeshTrustManager.IdentityPolicy)}; with
     * {@link ClientAuth#OPTIONAL}, clients without a certificate are served too (the controller's
     * identity service, whose callers come for their first one), and those with one are checked.
     */
    public static ServerCredentials server(WorkloadCertifier certifier, Collection<X509Certificate> trustAnchors,
            MeshTrustManager.IdentityPolicy clients, ClientAuth clientAuth) {
        SslProvider provider = MeshTls.provider();
        try {
            return NettySslContextServerCredentials.create(GrpcSslContexts.configure(
                            SslContextBuilder.forServer(certifier.keyManager()), provider)
                    .protocols(MeshTls.TLS_1_3)
                    .trustManager(new MeshTrustManager(trustAnchors, refuseAll(), clients))
                    .clientAuth(clientAuth)
                    .build());
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the gRPC server TLS context: " + e.getMessage(), e);
        }
    }

    private static MeshTrustManager.IdentityPolicy refuseAll() {
        return (host, port, identity) -> "not expected in this role";
    }
}
