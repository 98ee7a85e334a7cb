package io.meshj.controller.inject;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.Pem;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook over real HTTPS, checked by clients that trust only the CA install gives the API server. */
class WebhookServerTest {

    private static final String REVIEW = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
            + "\"request\":{\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
            + "\"operation\":\"CREATE\",\"namespace\":\"shop\",\"object\":{\"metadata\":{\"name\":\"debug\","
            + "\"annotations\":{\"meshj.io/inject\":\"enabled\"}},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"i\"}]}}}}";

    @TempDir
    Path dir;

    private WebhookServer server;
    private HttpClient client;
    private URI uri;
    private CertificateAuthority.ServerCertificate certificate;

    @BeforeEach
    void start() throws Exception {
        certificate = CertificateAuthority.serverCertificate(List.of("localhost"), Clock.systemUTC(), Duration.ofDays(1));
        Files.writeString(dir.resolve("tls.crt"), Pem.write(certificate.certificate()));
        Files.writeString(dir.resolve("tls.key"), Pem.write(certificate.key()));
        Injector injector = new Injector(InjectOptions.defaults("test", "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"));
        server = WebhookServer.start(new InetSocketAddress("127.0.0.1", 0), dir, new InjectionWebhook(injector, ns -> Map.of()));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", certificate.ca());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        client = HttpClient.newBuilder().sslContext(tls).build();
        uri = URI.create("https://localhost:" + server.address().getPort() + "/inject");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void answersReviewsOverHttpsAndRefusesWhatIsNoReview() throws Exception {
        HttpResponse<String> ok = post(REVIEW);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"uid\":\"u-1\"", "\"allowed\":true", "\"patchType\":\"JSONPatch\"");

        assertThat(post("{oops").statusCode()).isEqualTo(400);
        assertThat(post("x".repeat(WebhookServer.MAX_BODY + 1)).statusCode()).isEqualTo(413);
        assertThat(client.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(405);
    }

    @Test
    void curlTrustingOnlyTheInstallCaGetsThePatch() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), Pem.write(certificate.ca()));
        Process curl = new ProcessBuilder("curl", "-sS", "--cacert", ca.toString(), "-H", "Content-Type: application/json",
                "--data-binary", REVIEW, uri.toString()).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor()).as(out).isZero();
        assertThat(out).contains("\"patch\":");
    }

    private HttpResponse<String> post(String body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
