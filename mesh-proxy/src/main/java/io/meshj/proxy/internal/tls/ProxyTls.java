package io.meshj.proxy.internal.tls;

import static java.util.Objects.requireNonNull;

import io.grpc.Channel;
import io.meshj.core.ConfigException;
import io.meshj.tls.GrpcCertifier;
import io.meshj.tls.MeshTls;
import io.meshj.tls.Pem;
import io.meshj.tls.WorkloadCertifier;
import io.meshj.tls.WorkloadIdentity;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The proxy's side of mTLS: its workload certificate (kept renewed by a {@link WorkloadCertifier}), the
 * trust anchors, and the two TLS contexts built once on them — inbound (server, asking every client
 * for a certificate) and outbound (client, verifying the identity discovery promised).
 */
public final class ProxyTls implements AutoCloseable {

    /** The verified identity of the peer of an inbound connection that came over mTLS. */
    public static final AttributeKey<WorkloadIdentity> PEER_IDENTITY = AttributeKey.valueOf("meshj.peerIdentity");

    private final WorkloadCertifier certifier;
    private final SslContext server;
    private final SslContext client;

    private ProxyTls(WorkloadCertifier certifier, List<X509Certificate> trustAnchors) {
        this.certifier = certifier;
        // Clients without a certificate are allowed through the handshake and then treated as
        // plaintext (no identity): refusing them is the business of ports that require identity.
        this.server = MeshTls.server(certifier.keyManager(), trustAnchors, false);
        this.client = MeshTls.client(certifier.keyManager(), trustAnchors);
    }

    /**
     * Starts certifying {@code identity} with the identity service on {@code channel}, proving it with
     * the token in {@code tokenFile} (read at every attempt); peers must chain to {@code anchors}.
     */
    public static ProxyTls start(WorkloadIdentity identity, Path tokenFile, List<X509Certificate> anchors, Channel channel,
            ScheduledExecutorService scheduler) {
        WorkloadCertifier certifier = WorkloadCertifier.builder(identity,
                        new GrpcCertifier(channel, () -> readToken(tokenFile)))
                .scheduler(scheduler)
                .build();
        ProxyTls tls = new ProxyTls(certifier, anchors);
        certifier.start();
        return tls;
    }

    /**
     * The certificates in {@code file} (PEM).
     *
     * @throws ConfigException naming the file if it cannot be read or holds no certificate
     */
    public static List<X509Certificate> readTrustAnchors(Path file) {
        try {
            return Pem.certificates(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, "", "cannot read the trust anchors: " + e, e);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file.toString(), 0, "", e.getMessage(), e);
        }
    }

    /**
     * The certificates in {@code pem}, given by {@code source} (a flag or variable).
     *
     * @throws ConfigException naming the source if it holds no certificate
     */
    public static List<X509Certificate> parseTrustAnchors(String pem, String source) {
        try {
            return Pem.certificates(pem, source);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source, 0, "", e.getMessage(), e);
        }
    }

    /** The token in {@code file}, read now (it may have been replaced since the last read). */
    public static byte[] readToken(Path file) {
        try {
            return Files.readString(file).strip().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the identity token file " + file + ": " + e, e);
        }
    }

    public WorkloadCertifier certifier() {
        return certifier;
    }

    public WorkloadIdentity identity() {
        return certifier.identity();
    }

    /** The inbound context: for connections whose first bytes are a TLS ClientHello. */
    public SslContext serverContext() {
        return server;
    }

    /** A client handler for a connection to a peer that must present {@code expectedIdentity}. */
    public SslHandler newClientHandler(ByteBufAllocator alloc, String expectedIdentity, int port) {
        return client.newHandler(alloc, requireNonNull(expectedIdentity, "expectedIdentity"), port);
    }

    /** The verified identity of the peer of {@code ch} (an inbound mTLS connection), if any. */
    public static Optional<WorkloadIdentity> peerIdentity(io.netty.channel.Channel ch) {
        return Optional.ofNullable(ch.attr(PEER_IDENTITY).get());
    }

    @Override
    public void close() {
        certifier.close();
    }
}
