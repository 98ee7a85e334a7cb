package io.meshj.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Handshakes between a mesh client and a mesh server, each on an EmbeddedChannel, with the bytes passed
 * between them by hand; with BoringSSL and with the JDK provider.
 */
class MeshTlsTest {

    private static final WorkloadIdentity WEB = new WorkloadIdentity("web", "emojivoto", "cluster.local");
    private static final WorkloadIdentity EMOJI = new WorkloadIdentity("emoji", "emojivoto", "cluster.local");
    private static final CertificateAuthority CA = CertificateAuthority.generate("cluster.local", Clock.systemUTC(),
            Duration.ofHours(24));

    static Stream<SslProvider> providers() {
        return MeshTls.provider() == SslProvider.OPENSSL ? Stream.of(SslProvider.OPENSSL, SslProvider.JDK) : Stream.of(SslProvider.JDK);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void mutualTls13WithBothIdentitiesVerified(SslProvider provider) {
        Handshake h = handshake(provider, keys(CA, WEB), keys(CA, EMOJI), EMOJI, List.of(CA.trustAnchor()));
        assertThat(h.client.handshakeFuture().isSuccess()).as("client: %s", h.client.handshakeFuture().cause()).isTrue();
        assertThat(h.server.handshakeFuture().isSuccess()).isTrue();
        assertThat(h.client.engine().getSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(MeshTls.peerIdentity(h.client.engine().getSession())).contains(EMOJI);
        assertThat(MeshTls.peerIdentity(h.server.engine().getSession())).contains(WEB);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aServerWithAnotherIdentityThanPromisedIsRefused(SslProvider provider) {
        Handshake h = handshake(provider, keys(CA, WEB), keys(CA, WEB), EMOJI, List.of(CA.trustAnchor()));
        assertThat(h.client.handshakeFuture().cause()).isNotNull();
        assertThat(h.client.handshakeFuture().cause()).hasStackTraceContaining(EMOJI.dnsName());
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aPeerCertifiedByAnotherCaIsRefused(SslProvider provider) {
        CertificateAuthority foreign = CertificateAuthority.generate("cluster.local", Clock.systemUTC(), Duration.ofHours(24));
        Handshake serverForeign = handshake(provider, keys(CA, WEB), keys(foreign, EMOJI), EMOJI, List.of(CA.trustAnchor()));
        assertThat(serverForeign.client.handshakeFuture().cause()).isNotNull();
        Handshake clientForeign = handshake(provider, keys(foreign, WEB), keys(CA, EMOJI), EMOJI, List.of(CA.trustAnchor()));
        assertThat(clientForeign.server.handshakeFuture().cause()).isNotNull();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void anInboundPortThatOnlyAsksForClientCertificatesStillRefusesForeignOnes(SslProvider provider) {
        // The proxy's inbound context asks for a certificate without requiring one (a client without one
        // is plaintext-equivalent); a client that does present one must still chain to the anchors.
        CertificateAuthority foreign = CertificateAuthority.generate("cluster.local", Clock.systemUTC(), Duration.ofHours(24));
        SslHandler client = MeshTls.client(provider, keys(foreign, WEB), List.of(foreign.trustAnchor(), CA.trustAnchor()))
                .newHandler(ByteBufAllocator.DEFAULT, EMOJI.dnsName(), 4143);
        SslHandler server = MeshTls.server(provider, keys(CA, EMOJI), List.of(CA.trustAnchor()), false)
                .newHandler(ByteBufAllocator.DEFAULT);
        EmbeddedChannel c = new EmbeddedChannel(client);
        EmbeddedChannel s = new EmbeddedChannel(server);
        for (int round = 0; round < 20 && (!client.handshakeFuture().isDone() || !server.handshakeFuture().isDone()); round++) {
            if (!(pump(c, s) | pump(s, c))) {
                break;
            }
        }
        c.finishAndReleaseAll();
        s.finishAndReleaseAll();
        assertThat(server.handshakeFuture().cause()).isNotNull();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void anExpiredCertificateIsRefused(SslProvider provider) {
        Clock twoDaysAgo = Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC);
        CertificateAuthority past = CertificateAuthority.of(CA.trustAnchor(), CA.issuer(), CA.issuerKey(), twoDaysAgo,
                Duration.ofHours(24));
        Handshake h = handshake(provider, keys(CA, WEB), keys(past, EMOJI), EMOJI, List.of(CA.trustAnchor()));
        assertThat(h.client.handshakeFuture().cause()).isNotNull();
        assertThat(h.client.handshakeFuture().cause()).hasStackTraceContaining("xpired");
    }

    private static RotatingKeyManager keys(CertificateAuthority ca, WorkloadIdentity identity) {
        java.security.KeyPair pair = WorkloadKeys.generate();
        CertificateAuthority.Issued issued = ca.certify(identity, WorkloadKeys.csr(pair, identity));
        List<X509Certificate> chain = new java.util.ArrayList<>(List.of(issued.leaf()));
        chain.addAll(issued.intermediates());
        RotatingKeyManager km = new RotatingKeyManager();
        km.update(new CertifiedKey(pair.getPrivate(), chain, issued.validUntil()));
        return km;
    }

    private record Handshake(SslHandler client, SslHandler server) {
    }

    /** Runs a handshake to its end (or failure) between two embedded channels. */
    private static Handshake handshake(SslProvider provider, RotatingKeyManager clientKeys, RotatingKeyManager serverKeys,
            WorkloadIdentity expected, List<X509Certificate> anchors) {
        SslContext clientContext = withProvider(provider, true, clientKeys, anchors);
        SslContext serverContext = withProvider(provider, false, serverKeys, anchors);
        SslHandler client = clientContext.newHandler(ByteBufAllocator.DEFAULT, expected.dnsName(), 4143);
        SslHandler server = serverContext.newHandler(ByteBufAllocator.DEFAULT);
        EmbeddedChannel c = new EmbeddedChannel(client);
        EmbeddedChannel s = new EmbeddedChannel(server);
        for (int round = 0; round < 20 && (!client.handshakeFuture().isDone() || !server.handshakeFuture().isDone()); round++) {
            boolean moved = pump(c, s) | pump(s, c);
            if (!moved) {
                break;
            }
        }
        c.finishAndReleaseAll();
        s.finishAndReleaseAll();
        return new Handshake(client, server);
    }

    private static boolean pump(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        ByteBuf b;
        while ((b = from.readOutbound()) != null) {
            moved = true;
            if (to.isActive()) {
                try {
                    to.writeInbound(b);
                } catch (RuntimeException handshakeFailed) {
                    // recorded in the handler's handshake future
                }
            } else {
                b.release();
            }
        }
        return moved;
    }

    private static SslContext withProvider(SslProvider provider, boolean client, RotatingKeyManager keys,
            List<X509Certificate> anchors) {
        return client ? MeshTls.client(provider, keys, anchors) : MeshTls.server(provider, keys, anchors, true);
    }
}
