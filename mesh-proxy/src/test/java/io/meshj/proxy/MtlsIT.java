package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import io.meshj.proxy.testing.Processes.Result;
import io.meshj.proxy.testing.TestBackend;
import io.meshj.proxy.testing.TestIdentityServer;
import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.Pem;
import io.meshj.tls.WorkloadIdentity;
import io.meshj.tls.WorkloadKeys;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two proxies certified by a (real, gRPC) identity service talk mTLS: identities verified both ways,
 * the wrong identity and a foreign CA refused, plaintext still accepted from unmeshed clients except on
 * ports that require identity, and openssl sees TLS 1.3 with the chain.
 */
class MtlsIT {

    private static final WorkloadIdentity WEB = TestIdentityServer.identity("web");
    private static final WorkloadIdentity CLIENT = TestIdentityServer.identity("client");

    @TempDir
    static Path dir;

    static TestIdentityServer identity;
    static TestIdentityServer foreignIdentity;
    static MeshProxy foreignServer;
    static MeshFixture mesh;
    /** A server-speaks-first echo server behind the server proxy, on a port that requires identity. */
    static java.net.ServerSocket echo;
    static int requireIdentityPort;

    @BeforeAll
    static void start() throws Exception {
        identity = TestIdentityServer.start(dir.resolve("ca"), Duration.ofHours(24));
        foreignIdentity = TestIdentityServer.start(dir.resolve("foreign-ca"), Duration.ofHours(24));
        echo = io.meshj.proxy.testing.TcpServers.start("220 ready\r\n");
        requireIdentityPort = echo.getLocalPort();
        mesh = new MeshFixture(dir);
        foreignServer = MeshProxy.start(foreignIdentity.configure(loopback(), "web")
                .appPorts(List.of(mesh.backend().port())).build());
        String web = "    - address: 127.0.0.1:" + mesh.backend().port() + "\n      inboundPort: %INBOUND%\n      identity: ";
        mesh.appPort(requireIdentityPort)
                .service("secure.default:80", web + WEB.dnsName() + "\n      protocol: h2")
                .service("secure-h1.default:80", web + WEB.dnsName())
                .service("echo.default:7", "    - address: 127.0.0.1:" + requireIdentityPort
                        + "\n      inboundPort: %INBOUND%\n      identity: " + WEB.dnsName())
                .service("impostor.default:80", web + "other.default.serviceaccount.identity.meshj.cluster.local\n      protocol: h2")
                .service("foreign.default:80", web.replace("%INBOUND%", Integer.toString(foreignServer.inboundAddress().getPort()))
                        + WEB.dnsName() + "\n      protocol: h2")
                .serverConfig(b -> identity.configure(b, "web").requireIdentityPorts(java.util.Set.of(requireIdentityPort)))
                .clientConfig(b -> identity.configure(b, "client").requestTimeout(Duration.ofSeconds(5))
                        .outboundTcpTarget(io.meshj.core.name.Authority.parse("echo.default:7")))
                .start();
        await().atMost(Duration.ofSeconds(10)).until(() -> mesh.client().isReady() && mesh.server().isReady()
                && foreignServer.isReady());
    }

    private static ProxyConfigBuilder loopback() {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        return ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any);
    }

    @AfterAll
    static void stop() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
        if (foreignServer != null) {
            foreignServer.close();
        }
        echo.close();
        identity.close();
        foreignIdentity.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"secure", "secure-h1"})
    void requestsCrossTheMeshOverMtlsWithTheClientIdentityVerified(String service) throws Exception {
        mesh.backend().clearSeen();
        Result r = Processes.curl("-s", "-i", "-H", "Host: " + service, "-H", "meshj-client-id: forged", mesh.outboundUrl("/hello"))
                .assertSuccess();
        assertThat(r.stdout()).contains(" 200").endsWith("hello\n");
        TestBackend.Seen seen = mesh.backend().nextSeen();
        // Set by the server proxy from the certificate the client proxy presented, whatever the client claimed.
        assertThat(seen.headers()).containsEntry("meshj-client-id", CLIENT.dnsName());
    }

    @Test
    void aServerWithAnotherIdentityThanDiscoveryPromisedIsRefused() throws Exception {
        Result r = Processes.curl("-s", "-i", "-H", "Host: impostor", mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).contains(" 502").contains("meshj-proxy-error: upstream mTLS handshake failed")
                .as("which identities: in the operator's log").doesNotContain("serviceaccount");
        assertThat(mesh.client().metrics().errors(io.meshj.proxy.internal.Direction.OUTBOUND,
                io.meshj.proxy.internal.ProxyError.UPSTREAM_TLS_FAILED)).isPositive();
    }

    @Test
    void aServerCertifiedByAnotherCaIsRefused() throws Exception {
        Result r = Processes.curl("-s", "-i", "-H", "Host: foreign", mesh.outboundUrl("/hello")).assertSuccess();
        assertThat(r.stdout()).contains(" 502").contains("meshj-proxy-error: upstream mTLS handshake failed");
    }

    @Test
    void unmeshedClientsStillGetPlaintextWithoutAnIdentity() throws Exception {
        mesh.backend().clearSeen();
        String inbound = "http://127.0.0.1:" + mesh.server().inboundAddress().getPort() + "/hello";
        Result r = Processes.curl("-s", "-i", "-H", "meshj-client-id: " + CLIENT.dnsName(), inbound).assertSuccess();
        assertThat(r.stdout()).contains(" 200");
        assertThat(mesh.backend().nextSeen().headers()).doesNotContainKey("meshj-client-id");
    }

    @Test
    void aPortThatRequiresIdentityRefusesPlaintext() throws Exception {
        String inbound = "http://127.0.0.1:" + mesh.server().inboundAddress().getPort() + "/hello";
        Result r = Processes.curl("-s", "-i", "-H", "meshj-dst-addr: 127.0.0.1:" + requireIdentityPort, inbound).assertSuccess();
        assertThat(r.stdout()).contains(" 403").contains("accepts only mTLS");
    }

    @Test
    void opaqueTcpCrossesOverMtlsToTheEndpointItsHeaderNames() throws Exception {
        // The echo port is not the server proxy's first application port, and it refuses plaintext: the
        // echo only comes back if the connection was mTLS and the transport header named the port.
        assertThat(echoThroughMesh(mesh, "\u0001opaque bytes\n")).isEqualTo("220 ready\r\n\u0001opaque bytes\n");
    }

    /**
     * Sends {@code payload} to the client proxy's outbound port as opaque TCP, half-closes, and returns
     * all that comes back until the server closes (the echo server half-closes once it saw our end: the
     * half-close crossed the mTLS hop too).
     */
    static String echoThroughMesh(MeshFixture mesh, String payload) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", mesh.client().outboundAddress().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(payload.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void opensslSeesTls13AndTheChainOnTheInboundPort() throws Exception {
        // openssl as a meshed client would be: a key and a certificate from the mesh's CA.
        KeyPair keys = WorkloadKeys.generate();
        CertificateAuthority.Issued issued = identity.ca().certify(CLIENT, WorkloadKeys.csr(keys, CLIENT));
        Path cert = Files.writeString(dir.resolve("openssl-client.pem"), Pem.write(issued.leaf()) + Pem.write(identity.ca().issuer()));
        Path key = Files.writeString(dir.resolve("openssl-client.key"), Pem.write(keys.getPrivate()));
        Result r = Processes.run(Duration.ofSeconds(20), List.of("sh", "-c", "echo | openssl s_client -connect 127.0.0.1:"
                + mesh.server().inboundAddress().getPort() + " -servername " + WEB.dnsName() + " -verify_hostname " + WEB.dnsName()
                + " -CAfile " + identity.trustAnchors() + " -cert " + cert + " -key " + key + " -showcerts 2>&1"));
        assertThat(r.stdout()).contains("TLSv1.3").contains("Verify return code: 0 (ok)");
        assertThat(r.stdout()).contains("subject=CN = " + WEB.dnsName()).contains("issuer=CN = identity.meshj.cluster.local");
        assertThat(r.stdout()).containsPattern("(?s)-----BEGIN CERTIFICATE-----.*-----BEGIN CERTIFICATE-----");
    }

    @Test
    void theAdminPortShowsTheCertificateAndItsMetrics() throws Exception {
        String shown = Processes.curl("-sf", mesh.adminUrl(mesh.server(), "/identity")).assertSuccess().stdout();
        assertThat(shown).contains("identity:    " + WEB.dnsName()).contains("spiffe id:   " + WEB.spiffeId())
                .contains("issuer:      CN=identity.meshj.cluster.local").contains("-----BEGIN CERTIFICATE-----")
                .doesNotContain("PRIVATE KEY");
        String metrics = Processes.curl("-sf", mesh.adminUrl(mesh.server(), "/metrics")).assertSuccess().stdout();
        double expires = Double.parseDouble(metrics.lines().filter(l -> l.startsWith("identity_cert_expiration_timestamp_seconds "))
                .findFirst().orElseThrow().split(" ")[1]);
        assertThat(expires).isGreaterThan(java.time.Instant.now().plus(Duration.ofHours(23)).getEpochSecond());
        assertThat(metrics).contains("identity_cert_refresh_total 1.0\n");
    }

    @Test
    void bothProxiesAreReadyWithCertificatesForTheirIdentities() {
        assertThat(mesh.server().certifier().orElseThrow().current().orElseThrow().leaf().getSubjectX500Principal().getName())
                .isEqualTo("CN=" + WEB.dnsName());
        assertThat(mesh.client().certifier().orElseThrow().current()).isPresent();
    }
}
