package io.meshj.controller.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshj.api.metrics.v1.StatRequest;
import io.meshj.api.metrics.v1.StatResponse;
import io.meshj.api.metrics.v1.StatRow;
import io.meshj.controller.metrics.MetricsScraper;
import io.meshj.controller.metrics.MetricsService;
import io.meshj.controller.metrics.ScrapeTargets;
import io.meshj.controller.testing.RecordingObserver;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.testing.KeepAliveHttpClient;
import io.meshj.core.time.Ticker;
import io.meshj.proxy.MeshProxy;
import io.meshj.proxy.ProxyConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Stat on Kubernetes: the controller finds meshed pods through the informers, scrapes their proxies'
 * admin ports (a real proxy here, its port given by the config.meshj.io/admin-port annotation), counts
 * the deployment's unmeshed pods in MESHED, and reports the proxy's inbound traffic.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesStatIT {

    KubernetesClient client;

    private KubernetesDiscovery discovery;
    private MeshProxy proxy;
    private HttpServer app;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private MetricsScraper scraper;

    @AfterEach
    void stop() {
        if (scraper != null) {
            scraper.close();
        }
        executor.shutdownNow();
        if (proxy != null) {
            proxy.close();
        }
        if (app != null) {
            app.stop(0);
        }
        if (discovery != null) {
            discovery.close();
        }
    }

    private void pod(String name, boolean meshed, int adminPort) {
        PodBuilder b = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("emojivoto")
                .addToLabels("pod-template-hash", "5d4c7b9f8")
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName("web-5d4c7b9f8")
                .withUid("u1").endOwnerReference()
                .endMetadata()
                .withNewSpec().addNewContainer().withName("web").withImage("web").endContainer().endSpec()
                .withNewStatus().withPodIP("127.0.0.1").endStatus();
        if (meshed) {
            b.editMetadata().addToAnnotations("meshj.io/inject", "enabled").addToAnnotations("meshj.io/proxy-version", "test")
                    .addToAnnotations(KubernetesDiscovery.ADMIN_PORT_ANNOTATION, Integer.toString(adminPort)).endMetadata();
        }
        client.pods().inNamespace("emojivoto").resource(b.build()).create();
    }

    @Test
    void aDeploymentsMeshedPodIsScrapedAndItsUnmeshedOneCounted() throws Exception {
        app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.createContext("/", exchange -> {
            byte[] body = "ok\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(exchange.getRequestURI().getPath().equals("/fail") ? 503 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        proxy = MeshProxy.start(ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any)
                .appPorts(List.of(app.getAddress().getPort())).build());
        pod("web-5d4c7b9f8-aaaaa", true, proxy.adminAddress().getPort());
        pod("web-5d4c7b9f8-bbbbb", false, 0);
        discovery = KubernetesDiscovery.start(client, AuthorityNormalizer.defaults());
        await().atMost(Duration.ofSeconds(10)).until(() -> discovery.podViews().size() == 2);

        scraper = new MetricsScraper(() -> ScrapeTargets.of(discovery), Duration.ofMillis(200), Duration.ofMinutes(1), Ticker.system());
        scraper.scrapeOnce().get(10, TimeUnit.SECONDS); // before any traffic
        try (KeepAliveHttpClient c = new KeepAliveHttpClient(proxy.inboundAddress().getPort())) {
            for (int i = 0; i < 10; i++) {
                assertThat(c.get("web-svc.emojivoto:80", i < 8 ? "/" : "/fail")).startsWith(i < 8 ? "200" : "503");
            }
        }
        scraper.start(executor);
        MetricsService service = new MetricsService(scraper);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            StatRow row = stat(service).getRows(0);
            assertThat(row.getHasTraffic()).isTrue();
            assertThat(row.getSuccessRate()).isEqualTo(0.8);
        });
        StatRow row = stat(service).getRows(0);
        assertThat(row.getNamespace()).isEqualTo("emojivoto");
        assertThat(row.getName()).isEqualTo("web");
        assertThat(row.getMeshedPods()).isEqualTo(1);
        assertThat(row.getPods()).isEqualTo(2);
        assertThat(row.getRequestsPerSecond()).isPositive();
    }

    private static StatResponse stat(MetricsService service) throws Exception {
        RecordingObserver<StatResponse> answer = new RecordingObserver<>();
        service.stat(StatRequest.newBuilder().setNamespace("emojivoto").setResourceType("deploy").build(), answer);
        return answer.next(Duration.ofSeconds(5));
    }
}
