package io.meshj.bench;

import com.sun.management.OperatingSystemMXBean;
import io.grpc.CallOptions;
import io.grpc.Drainable;
import io.grpc.Grpc;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettySslContextChannelCredentials;
import io.grpc.netty.NettySslContextServerCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.meshj.proxy.embedded.Mesh;
import io.meshj.proxy.embedded.MeshServer;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.MeshTls;
import io.meshj.tls.WorkloadIdentity;
import io.meshj.tls.WorkloadKeys;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The embedded mode's overhead (run by {@code bench/embedded.sh}, never a test): one unary gRPC method
 * called at a fixed rate, either over plain gRPC-Java with mutual TLS 1.3 ({@code plain}) or from an
 * embedded {@link Mesh}'s channel to a {@link MeshServer} of another mesh ({@code embedded}: discovery
 * through the controller, P2C, mTLS with identities from the controller, the sidecar's metrics and tap
 * on both sides). Client and server run in this JVM; the script runs each variant in a JVM of its own,
 * with the same flags, so their heaps can be compared.
 *
 * <p>Both variants use the same gRPC-Java builders ({@code Grpc.newServerBuilderForPort},
 * {@code Grpc.newChannelBuilder}) with their default executors and event loops, the same TLS provider
 * ({@link MeshTls#provider()}: BoringSSL when it loads), TLS 1.3 only, ECDSA P-256 leaves issued by an
 * intermediate under a root (the mesh's own layout), the client presenting a certificate, and the same
 * service: {@code payload} random bytes each way, answered at once. The load is open-loop: call
 * {@code i} is due at {@code start + i / rate} and is sent then however late earlier calls are, and its
 * latency is measured from when it was due, not when it went out, so a stall shows in every call it
 * delayed (no coordinated omission). The sender parks until just before each call is due and spins
 * the last 100 µs: parking alone wakes 50–100 µs late on Linux, which would be in every sample.
 *
 * <p>After the measurement it waits for calls in flight, forces full collections and reads the heap
 * still in use: what the variant keeps alive (its channels, servers, meshes and their meters), not
 * what it allocated. Prints {@code key value} lines for the script to tabulate.
 *
 * <pre>
 * EmbeddedOverhead plain RATE WARMUP_S MEASURE_S PAYLOAD_BYTES
 * EmbeddedOverhead embedded RATE WARMUP_S MEASURE_S PAYLOAD_BYTES DESTINATION IDENTITY TRUST_ANCHORS SERVER_TOKEN CLIENT_TOKEN
 * </pre>
 */
public final class EmbeddedOverhead {

    private static final String NAMESPACE = "bench";
    private static final String SERVICE = "bench-svc";
    private static final String TRUST_DOMAIN = "cluster.local";
    /** Parking wakes late by the timer slack (50 µs by default) and more; the sender spins this last stretch. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    static final MethodDescriptor<byte[], byte[]> CALL = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("bench.Echo/Call")
            .setRequestMarshaller(new Bytes())
            .setResponseMarshaller(new Bytes())
            .build();

    private EmbeddedOverhead() {
    }

    public static void main(String[] args) throws Exception {
        String variant = args[0];
        int rate = Integer.parseInt(args[1]);
        int warmupSeconds = Integer.parseInt(args[2]);
        int measureSeconds = Integer.parseInt(args[3]);
        int payload = Integer.parseInt(args[4]);
        byte[] request = random(payload);
        ServerServiceDefinition service = service(random(payload));

        List<AutoCloseable> closers = new ArrayList<>();
        ManagedChannel channel = switch (variant) {
            case "plain" -> plain(service, closers);
            case "embedded" -> embedded(service, closers, args[5], args[6], Path.of(args[7]), Path.of(args[8]),
                    Path.of(args[9]));
            default -> throw new IllegalArgumentException("variant: plain or embedded, not " + variant);
        };
        firstCall(channel, request);
        System.out.println("tls_provider " + MeshTls.provider());
        System.out.printf("heap_after_setup_mb %.2f%n", liveHeapBytes() / 1e6);

        Result r = new OpenLoop(channel, request, rate).run(warmupSeconds, measureSeconds);
        Histogram h = r.latency;
        System.out.printf("calls %d%n", h.getTotalCount());
        System.out.printf("errors %d%n", r.errors);
        System.out.printf("unfinished %d%n", r.unfinished);
        for (double p : new double[] {50, 90, 99, 99.9}) {
            System.out.printf("p%s_us %.1f%n", p == 99.9 ? "999" : Integer.toString((int) p),
                    h.getValueAtPercentile(p) / 1e3);
        }
        System.out.printf("max_us %.1f%n", h.getMaxValue() / 1e3);
        System.out.printf("mean_us %.1f%n", h.getMean() / 1e3);
        System.out.printf("send_lag_p99_us %.1f%n", r.sendLag.getValueAtPercentile(99) / 1e3);
        System.out.printf("cpu_us_per_call %.1f%n", r.cpuNanos / 1e3 / Math.max(1, h.getTotalCount()));
        System.out.printf("alloc_kb_per_call %.2f%n", r.allocatedBytes / 1024.0 / Math.max(1, h.getTotalCount()));
        System.out.printf("gcs %d%n", r.gcs);
        System.out.printf("gc_ms %d%n", r.gcMillis);

        // Measured with everything still open: what an application carrying this variant keeps alive.
        System.out.printf("heap_after_load_mb %.2f%n", liveHeapBytes() / 1e6);
        System.out.printf("rss_mb %.1f%n", procStatusKb("VmRSS") / 1024.0);
        System.out.printf("rss_peak_mb %.1f%n", procStatusKb("VmHWM") / 1024.0);

        channel.shutdownNow();
        for (int i = closers.size() - 1; i >= 0; i--) {
            closers.get(i).close();
        }
    }

    /** gRPC-Java as an application would use it without the mesh, with mutual TLS as the mesh has. */
    private static ManagedChannel plain(ServerServiceDefinition service, List<AutoCloseable> closers) throws Exception {
        CertificateAuthority ca = CertificateAuthority.generate(TRUST_DOMAIN, Clock.systemUTC(), Duration.ofHours(24));
        WorkloadIdentity serverId = new WorkloadIdentity("server", NAMESPACE, TRUST_DOMAIN);
        WorkloadIdentity clientId = new WorkloadIdentity("client", NAMESPACE, TRUST_DOMAIN);
        KeyPair serverKeys = WorkloadKeys.generate();
        KeyPair clientKeys = WorkloadKeys.generate();
        SslProvider provider = MeshTls.provider();

        Server server = Grpc.newServerBuilderForPort(0, NettySslContextServerCredentials.create(
                        GrpcSslContexts.configure(SslContextBuilder.forServer(serverKeys.getPrivate(), chain(ca, serverId, serverKeys)),
                                        provider)
                                .protocols(MeshTls.TLS_1_3)
                                .trustManager(ca.trustAnchor())
                                .clientAuth(ClientAuth.REQUIRE)
                                .build()))
                .addService(service).build().start();
        closers.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        // The server's certificate names its identity, as the mesh's do: the client dials that name
        // (SNI and host name verification) at the server's address.
        return Grpc.newChannelBuilder("dns:///127.0.0.1:" + server.getPort(), NettySslContextChannelCredentials.create(
                        GrpcSslContexts.configure(SslContextBuilder.forClient(), provider)
                                .protocols(MeshTls.TLS_1_3)
                                .keyManager(clientKeys.getPrivate(), chain(ca, clientId, clientKeys))
                                .trustManager(ca.trustAnchor())
                                .build()))
                .overrideAuthority(serverId.dnsName())
                .build();
    }

    private static X509Certificate[] chain(CertificateAuthority ca, WorkloadIdentity id, KeyPair keys) {
        CertificateAuthority.Issued issued = ca.certify(id, WorkloadKeys.csr(keys, id));
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(issued.leaf());
        chain.addAll(issued.intermediates());
        return chain.toArray(X509Certificate[]::new);
    }

    /** Two meshes, as two workloads would have: the server's registers it, the client's discovers it. */
    private static ManagedChannel embedded(ServerServiceDefinition service, List<AutoCloseable> closers, String destination,
            String identity, Path trustAnchors, Path serverToken, Path clientToken) throws Exception {
        Mesh serverMesh = mesh(destination, identity, trustAnchors, serverToken, "server", SERVICE);
        closers.add(serverMesh);
        MeshServer server = MeshServer.forPort(serverMesh, 0).addService(service).start();
        closers.add(server);
        Mesh clientMesh = mesh(destination, identity, trustAnchors, clientToken, "client", "client");
        closers.add(clientMesh);
        return clientMesh.channel(SERVICE + "." + NAMESPACE + ":" + server.port());
    }

    private static Mesh mesh(String destination, String identity, Path trustAnchors, Path token, String serviceAccount,
            String service) throws InterruptedException {
        return Mesh.builder().destination(destination).identityService(identity).namespace(NAMESPACE)
                .serviceAccount(serviceAccount).tokenFile(token).trustAnchors(trustAnchors)
                .workloadName(serviceAccount + "-1").service(service).deployment(serviceAccount)
                .build().awaitReady(Duration.ofSeconds(20));
    }

    /** Waits for the first answer: the embedded server has to be registered and discovered first. */
    private static void firstCall(ManagedChannel channel, byte[] request) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                ClientCalls.blockingUnaryCall(channel, CALL, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), request);
                return;
            } catch (RuntimeException e) {
                last = e;
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("no answer from the server within 30 s", last);
    }

    private static ServerServiceDefinition service(byte[] response) {
        return ServerServiceDefinition.builder("bench.Echo")
                .addMethod(CALL, ServerCalls.asyncUnaryCall((byte[] req, StreamObserver<byte[]> out) -> {
                    out.onNext(response);
                    out.onCompleted();
                }))
                .build();
    }

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** The heap in use after full collections (Serial GC: whatever survives is live). */
    private static long liveHeapBytes() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static long procStatusKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }

    private record Result(Histogram latency, Histogram sendLag, long errors, long unfinished, long cpuNanos,
            long allocatedBytes, long gcs, long gcMillis) {
    }

    /**
     * Sends call {@code i} at {@code start + i / rate} from one thread; answers are recorded by whichever
     * thread gRPC completes them on. Calls due in the warm-up are not recorded.
     */
    private static final class OpenLoop {
        private final ManagedChannel channel;
        private final byte[] request;
        private final long periodNanos;
        private final Recorder latency = new Recorder(TimeUnit.MINUTES.toNanos(1), 3);
        private final AtomicLong errors = new AtomicLong();
        private final AtomicLong inFlight = new AtomicLong();

        OpenLoop(ManagedChannel channel, byte[] request, int rate) {
            this.channel = channel;
            this.request = request;
            this.periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        }

        Result run(int warmupSeconds, int measureSeconds) throws InterruptedException {
            long warmupCalls = TimeUnit.SECONDS.toNanos(warmupSeconds) / periodNanos;
            long total = warmupCalls + TimeUnit.SECONDS.toNanos(measureSeconds) / periodNanos;
            Histogram sendLag = new Histogram(TimeUnit.MINUTES.toNanos(1), 3);
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = 0;
            Map<Long, Long> alloc0 = Map.of();
            long[] gc0 = null;
            long start = System.nanoTime();
            for (long i = 0; i < total; i++) {
                long due = start + i * periodNanos;
                if (i == warmupCalls) {
                    cpu0 = os.getProcessCpuTime();
                    alloc0 = allocatedBytes();
                    gc0 = gcCounts();
                }
                long left;
                while ((left = due - System.nanoTime()) > SPIN_NANOS) {
                    LockSupport.parkNanos(left - SPIN_NANOS);
                }
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                boolean measured = i >= warmupCalls;
                if (measured) {
                    sendLag.recordValue(System.nanoTime() - due);
                }
                send(due, measured);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long cpu = os.getProcessCpuTime() - cpu0;
            long alloc = 0;
            for (Map.Entry<Long, Long> t : allocatedBytes().entrySet()) {
                alloc += t.getValue() - alloc0.getOrDefault(t.getKey(), 0L);
            }
            long[] gc = gcCounts();
            return new Result(latency.getIntervalHistogram(), sendLag, errors.get(), inFlight.get(), cpu, alloc,
                    gc[0] - gc0[0], gc[1] - gc0[1]);
        }

        private void send(long due, boolean measured) {
            inFlight.incrementAndGet();
            ClientCalls.asyncUnaryCall(channel.newCall(CALL, CallOptions.DEFAULT), request, new StreamObserver<>() {
                @Override
                public void onNext(byte[] value) {
                }

                @Override
                public void onError(Throwable t) {
                    if (measured) {
                        errors.incrementAndGet();
                    }
                    inFlight.decrementAndGet();
                }

                @Override
                public void onCompleted() {
                    if (measured) {
                        latency.recordValue(System.nanoTime() - due);
                    }
                    inFlight.decrementAndGet();
                }
            });
        }

        /**
         * Bytes each live thread has allocated since it started, by thread id. What a thread that ends
         * before the measurement does allocated is lost, so the difference undercounts a little; gRPC's
         * and Netty's threads live as long as the load does.
         */
        private static Map<Long, Long> allocatedBytes() {
            com.sun.management.ThreadMXBean t = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long[] ids = t.getAllThreadIds();
            long[] bytes = t.getThreadAllocatedBytes(ids);
            Map<Long, Long> byThread = new HashMap<>();
            for (int i = 0; i < ids.length; i++) {
                if (bytes[i] >= 0) {
                    byThread.put(ids[i], bytes[i]);
                }
            }
            return byThread;
        }

        private static long[] gcCounts() {
            long count = 0;
            long millis = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                count += Math.max(0, gc.getCollectionCount());
                millis += Math.max(0, gc.getCollectionTime());
            }
            return new long[] {count, millis};
        }
    }

    /**
     * Messages as raw bytes, without the scratch buffers a plain {@code InputStream} costs on both ends
     * (gRPC copies an unknown stream through an 8 KB buffer, {@code readAllBytes} reads into 8 KB
     * chunks): 20 KB a call of the benchmark's own garbage, the same in both variants, would blur what
     * the mesh allocates.
     */
    private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new DrainableStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                // gRPC hands over the whole message, which knows its length.
                byte[] b = new byte[stream.available()];
                int n = 0;
                while (n < b.length) {
                    int r = stream.read(b, n, b.length - n);
                    if (r < 0) {
                        throw new IOException("the message ended after " + n + " of " + b.length + " bytes");
                    }
                    n += r;
                }
                return b;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** gRPC writes a {@link Drainable} straight into its frame, and sizes the frame by {@link KnownLength}. */
    private static final class DrainableStream extends ByteArrayInputStream implements KnownLength, Drainable {
        DrainableStream(byte[] b) {
            super(b);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
