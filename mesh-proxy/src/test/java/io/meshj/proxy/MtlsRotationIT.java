package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshj.core.name.Authority;
import io.meshj.core.testing.KeepAliveHttpClient;
import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import io.meshj.proxy.testing.TcpServers;
import io.meshj.proxy.testing.TestIdentityServer;
import io.meshj.tls.WorkloadCertifier;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates that live 30 s rotate under load (renewal at 20 s): 100 concurrent streams between the
 * proxies and a new opaque TCP connection (a new mTLS handshake, with whatever certificates are current
 * then) every 200 ms, across two rotations of both proxies, without one failure. Then, with the
 * identity service down, the proxies keep serving on their current certificates and renew once it is
 * back.
 */
class MtlsRotationIT {

    private static final int STREAMS = 100;

    @TempDir
    Path dir;

    @Test
    void certificatesRotateUnderLoadWithoutAFailedRequest() throws Exception {
        try (TestIdentityServer identity = TestIdentityServer.start(dir.resolve("ca"), Duration.ofSeconds(30));
                ServerSocket echo = TcpServers.start(null);
                MeshFixture mesh = rotatingMesh(identity, echo)) {
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong ok = new AtomicLong();
            AtomicLong handshakes = new AtomicLong();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            ExecutorService load = Executors.newFixedThreadPool(STREAMS);
            for (int i = 0; i < STREAMS; i++) {
                load.execute(() -> {
                    // One keep-alive connection per stream; the proxies carry them as streams of HTTP/2.
                    try (KeepAliveHttpClient c = new KeepAliveHttpClient(mesh.client().outboundAddress().getPort())) {
                        while (running.get()) {
                            String r = c.get("secure", "/hello");
                            if (r.equals("200 hello\n")) {
                                ok.incrementAndGet();
                            } else {
                                failures.add(r);
                            }
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                });
            }
            // A new mTLS connection (a new handshake, with the certificates current then) every 200 ms.
            ScheduledExecutorService handshaking = Executors.newSingleThreadScheduledExecutor();
            AtomicLong n = new AtomicLong();
            handshaking.scheduleWithFixedDelay(() -> {
                try {
                    String payload = "\u0001handshake " + n.getAndIncrement() + "\n";
                    String back = MtlsIT.echoThroughMesh(mesh, payload);
                    if (back.equals(payload)) {
                        handshakes.incrementAndGet();
                    } else {
                        failures.add("tcp echo returned \"" + back + "\"");
                    }
                } catch (Exception e) {
                    failures.add("tcp: " + e);
                }
            }, 0, 200, TimeUnit.MILLISECONDS);
            WorkloadCertifier client = mesh.client().certifier().orElseThrow();
            WorkloadCertifier server = mesh.server().certifier().orElseThrow();
            // Two renewals of each (the third certificate of each) under load.
            await().atMost(Duration.ofSeconds(75)).pollInterval(Duration.ofMillis(250))
                    .until(() -> client.refreshCount() >= 3 && server.refreshCount() >= 3 || !failures.isEmpty());
            running.set(false);
            load.shutdown();
            handshaking.shutdown();
            assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            assertThat(handshaking.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            assertThat(failures).as("failed requests (of %d ok, %d handshakes)", ok.get(), handshakes.get()).isEmpty();
            assertThat(client.refreshCount()).isGreaterThanOrEqualTo(3);
            assertThat(server.refreshCount()).isGreaterThanOrEqualTo(3);
            assertThat(ok.get()).isGreaterThan(1000);
            assertThat(handshakes.get()).isGreaterThan(50);
        }
    }

    @Test
    void withTheIdentityServiceDownProxiesKeepServingAndRenewWhenItIsBack() throws Exception {
        // 12 s certificates are renewed 2 s after they are issued.
        try (TestIdentityServer identity = TestIdentityServer.start(dir.resolve("ca"), Duration.ofSeconds(12));
                ServerSocket echo = TcpServers.start(null);
                MeshFixture mesh = rotatingMesh(identity, echo)) {
            WorkloadCertifier client = mesh.client().certifier().orElseThrow();
            identity.stop();
            long refreshed = client.refreshCount();
            await().atMost(Duration.ofSeconds(10)).until(() -> client.failureCount() >= 1);
            // Still serving on the current certificates, new handshakes included.
            Processes.curl("-sf", "-H", "Host: secure", mesh.outboundUrl("/hello")).assertSuccess();
            assertThat(MtlsIT.echoThroughMesh(mesh, "\u0001still here\n")).isEqualTo("\u0001still here\n");
            assertThat(mesh.client().isReady()).isTrue();

            identity.restart();
            await().atMost(Duration.ofSeconds(15)).until(() -> client.refreshCount() > refreshed);
            assertThat(MtlsIT.echoThroughMesh(mesh, "\u0001renewed\n")).isEqualTo("\u0001renewed\n");
        }
    }

    @Test
    void aProxyIsNotReadyUntilItHasItsFirstCertificate() throws Exception {
        try (TestIdentityServer identity = TestIdentityServer.start(dir.resolve("ca"), Duration.ofHours(1))) {
            identity.stop();
            java.net.InetSocketAddress any = new java.net.InetSocketAddress("127.0.0.1", 0);
            try (MeshProxy proxy = MeshProxy.start(identity.configure(ProxyConfig.builder()
                    .outboundListen(any).inboundListen(any).adminListen(any).tapListen(any), "web").build())) {
                String ready = "http://127.0.0.1:" + proxy.adminAddress().getPort() + "/ready";
                assertThat(Processes.curl("-s", "-o", "/dev/null", "-w", "%{http_code}", ready).stdout()).isEqualTo("503");
                identity.restart();
                await().atMost(Duration.ofSeconds(15)).until(proxy::isReady);
                assertThat(Processes.curl("-s", "-o", "/dev/null", "-w", "%{http_code}", ready).stdout()).isEqualTo("200");
            }
        }
    }

    private MeshFixture rotatingMesh(TestIdentityServer identity, ServerSocket echo) throws Exception {
        MeshFixture mesh = new MeshFixture(dir);
        String webId = TestIdentityServer.identity("web").dnsName();
        mesh.appPort(echo.getLocalPort())
                .service("secure.default:80", "    - address: 127.0.0.1:" + mesh.backend().port()
                        + "\n      inboundPort: %INBOUND%\n      protocol: h2\n      identity: " + webId)
                .service("echo.default:7", "    - address: 127.0.0.1:" + echo.getLocalPort()
                        + "\n      inboundPort: %INBOUND%\n      identity: " + webId)
                .serverConfig(b -> identity.configure(b, "web").requireIdentityPorts(Set.of(echo.getLocalPort())))
                .clientConfig(b -> identity.configure(b, "client").outboundTcpTarget(Authority.parse("echo.default:7")))
                .start();
        await().atMost(Duration.ofSeconds(10)).until(() -> mesh.client().isReady() && mesh.server().isReady());
        return mesh;
    }
}
