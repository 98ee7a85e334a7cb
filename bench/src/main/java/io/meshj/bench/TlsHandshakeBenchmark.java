package io.meshj.bench;

import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.CertifiedKey;
import io.meshj.tls.MeshTls;
import io.meshj.tls.RotatingKeyManager;
import io.meshj.tls.WorkloadIdentity;
import io.meshj.tls.WorkloadKeys;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One full mutual TLS 1.3 handshake between two meshed peers — both sides' CPU, on one thread, with
 * the bytes passed in memory (no sockets, so only the handshake's own cost is measured): ECDHE X25519,
 * ECDSA P-256 certificates with a two-certificate chain verified against the trust anchor, the
 * client's identity check. Handshakes per second per core for ONE side is about twice the score (the
 * two sides do similar work). The proxies' contexts: {@link MeshTls}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TlsHandshakeBenchmark {

    @Param({"OPENSSL", "JDK"})
    public String provider;

    private SslContext client;
    private SslContext server;
    private static final WorkloadIdentity WEB = new WorkloadIdentity("web", "emojivoto", "cluster.local");
    private static final WorkloadIdentity EMOJI = new WorkloadIdentity("emoji", "emojivoto", "cluster.local");

    @Setup
    public void setUp() {
        CertificateAuthority ca = CertificateAuthority.generate("cluster.local", Clock.systemUTC(), Duration.ofHours(24));
        SslProvider p = SslProvider.valueOf(provider);
        client = MeshTls.client(p, keys(ca, WEB), List.of(ca.trustAnchor()));
        server = MeshTls.server(p, keys(ca, EMOJI), List.of(ca.trustAnchor()), true);
    }

    private static RotatingKeyManager keys(CertificateAuthority ca, WorkloadIdentity id) {
        KeyPair pair = WorkloadKeys.generate();
        CertificateAuthority.Issued issued = ca.certify(id, WorkloadKeys.csr(pair, id));
        List<java.security.cert.X509Certificate> chain = new ArrayList<>(List.of(issued.leaf()));
        chain.addAll(issued.intermediates());
        RotatingKeyManager km = new RotatingKeyManager();
        km.update(new CertifiedKey(pair.getPrivate(), chain, issued.validUntil()));
        return km;
    }

    @Benchmark
    public boolean mutualHandshake() {
        SslHandler c = client.newHandler(ByteBufAllocator.DEFAULT, EMOJI.dnsName(), 4143);
        SslHandler s = server.newHandler(ByteBufAllocator.DEFAULT);
        EmbeddedChannel cc = new EmbeddedChannel(c);
        EmbeddedChannel sc = new EmbeddedChannel(s);
        for (int i = 0; i < 10 && !(c.handshakeFuture().isDone() && s.handshakeFuture().isDone()); i++) {
            pump(cc, sc);
            pump(sc, cc);
        }
        boolean ok = c.handshakeFuture().isSuccess() && s.handshakeFuture().isSuccess();
        cc.finishAndReleaseAll();
        sc.finishAndReleaseAll();
        if (!ok) {
            throw new IllegalStateException("handshake failed: " + c.handshakeFuture().cause() + " / " + s.handshakeFuture().cause());
        }
        return ok;
    }

    private static void pump(EmbeddedChannel from, EmbeddedChannel to) {
        ByteBuf b;
        while ((b = from.readOutbound()) != null) {
            to.writeInbound(b);
        }
    }
}
