package io.meshj.controller.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.meshj.controller.inject.Injector.Outcome;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Injection against a golden file, and its laws: uninject gives back the original objects for every
 * kind, injecting twice is injecting once, and pods that must not be injected are skipped with a reason.
 */
class InjectorTest {

    private static final String PEM = resource("trust-anchor.pem");
    private static final Injector INJECTOR = new Injector(InjectOptions.defaults("test", PEM));

    @Test
    void injectionMatchesTheGoldenFile() throws IOException {
        Manifests.Parsed parsed = Manifests.parse(resource("workloads.yml"), "workloads.yml");
        List<String> report = inject(parsed.documents(), true);
        String out = Manifests.write(parsed.documents(), Manifests.Format.YAML);
        Path golden = Path.of("src/test/resources/inject/workloads-injected.yml");
        if (Boolean.getBoolean("meshj.updateGolden")) {
            Files.writeString(golden, out);
        }
        assertThat(out).isEqualTo(Files.readString(golden));
        assertThat(report).containsExactly(
                "namespace \"shop\" skipped",
                "serviceaccount \"web\" skipped",
                "service \"web-svc\" skipped",
                "deployment \"web\" injected",
                "deployment \"cart\" injected",
                "statefulset \"ledger\" injected",
                "daemonset \"agent\" injected",
                "replicaset \"legacy\" injected",
                "job \"reindex\" injected",
                "cronjob \"report\" injected",
                "pod \"debug\" injected",
                "pod \"node-exporter\" skipped: uses host network",
                "pod \"opted-out\" skipped: injection disabled by annotation meshj.io/inject",
                "deployment \"search\" injected");
    }

    @Test
    void uninjectGivesBackTheOriginalObjectsInBothModes() {
        for (boolean manual : new boolean[] {true, false}) {
            List<Object> original = parse(resource("workloads.yml"));
            List<Object> docs = parse(resource("workloads.yml"));
            inject(docs, manual);
            assertThat(docs).isNotEqualTo(original);
            for (Object d : docs) {
                INJECTOR.uninject(d);
            }
            assertThat(docs).as("manual=" + manual).isEqualTo(original);
        }
    }

    @Test
    void injectingTwiceIsInjectingOnce() {
        for (boolean manual : new boolean[] {true, false}) {
            List<Object> once = parse(resource("workloads.yml"));
            inject(once, manual);
            List<Object> twice = parse(resource("workloads.yml"));
            inject(twice, manual);
            List<String> second = inject(twice, manual);
            assertThat(twice).isEqualTo(once);
            assertThat(second).contains("deployment \"web\" skipped: " + (manual ? "already injected" : "already annotated for injection"));
        }
    }

    @Test
    void theProxyComesFirstWithItsSettingsFromTheAnnotations() {
        List<Object> docs = parse(resource("workloads.yml"));
        inject(docs, true);
        Map<String, Object> cart = template(docs, "cart");
        List<?> containers = (List<?>) spec(cart).get("containers");
        Map<?, ?> proxy = (Map<?, ?>) containers.get(0);
        assertThat(proxy.get("name")).isEqualTo("meshj-proxy");
        assertThat(env(proxy)).containsEntry("MESHJ_PROXY_APP_PORTS", "7000,7001") // 9090 is skipped inbound
                .containsEntry("MESHJ_PROXY_OPAQUE_PORTS", "7001")
                .containsEntry("MESHJ_PROXY_LOG_LEVEL", "debug")
                .containsEntry("MESHJ_PROXY_TRUST_ANCHORS_PEM", PEM.strip() + "\n");
        assertThat(proxy.get("resources")).isEqualTo(Map.of("limits", Map.of("memory", "128Mi"), "requests", Map.of("cpu", "50m")));
        assertThat(proxy.containsKey("lifecycle")).isFalse(); // proxy-await: disabled
        List<?> inits = (List<?>) spec(cart).get("initContainers");
        assertThat(names(inits)).containsExactly("meshj-init", "migrate");
        assertThat(((List<?>) ((Map<?, ?>) inits.get(0)).get("args")).stream().map(String::valueOf).toList()).containsSubsequence(
                "--inbound-ports-to-ignore", "4190,4191,9090", "--outbound-ports-to-ignore", "5432,6379-6380");

        Map<String, Object> web = template(docs, "web");
        Map<?, ?> webProxy = (Map<?, ?>) ((List<?>) spec(web).get("containers")).get(0);
        assertThat(env(webProxy)).containsEntry("MESHJ_PROXY_APP_PORTS", "8080,9090"); // not the UDP port
        assertThat(webProxy.get("lifecycle")).isNotNull();
        assertThat(((Map<?, ?>) web.get("metadata")).get("labels")).isEqualTo(Map.of("app", "web",
                "meshj.io/control-plane-ns", "meshj", "meshj.io/proxy-deployment", "web", "meshj.io/workload-ns", "shop"));
    }

    @Test
    void aNativeSidecarIsAnInitContainerThatKeepsRunning() {
        List<Object> docs = parse(resource("workloads.yml"));
        Injector nativeInjector = new Injector(InjectOptions.defaults("test", PEM).withNativeSidecar(true));
        for (Object d : docs) {
            nativeInjector.inject(d, true);
        }
        Map<String, Object> web = template(docs, "web");
        List<?> inits = (List<?>) spec(web).get("initContainers");
        assertThat(names(inits)).containsExactly("meshj-init", "meshj-proxy");
        assertThat(((Map<?, ?>) inits.get(1)).get("restartPolicy")).isEqualTo("Always");
        assertThat(names((List<?>) spec(web).get("containers"))).containsExactly("web");
        for (Object d : docs) {
            nativeInjector.uninject(d);
        }
        assertThat(docs).isEqualTo(parse(resource("workloads.yml")));
    }

    @Test
    void jsonStaysJsonAndMalformedInputNamesTheDocumentAndLine() {
        Manifests.Parsed json = Manifests.parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
                + "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"i\"}]}}", "pod.json");
        assertThat(json.format()).isEqualTo(Manifests.Format.JSON);
        INJECTOR.inject(json.documents().get(0), true);
        assertThat(Manifests.write(json.documents(), json.format())).startsWith("{").contains("\"name\": \"meshj-proxy\"");

        assertThatThrownBy(() -> Manifests.parse("kind: Pod\n---\nkind: Deployment\nmetadata:\n  name: [x\n", "bad.yml"))
                .isInstanceOf(Manifests.ManifestException.class)
                .hasMessageStartingWith("bad.yml: document 2, line ");
        assertThatThrownBy(() -> Manifests.parse("kind: Pod\nkind: Service\n", "dup.yml"))
                .hasMessageStartingWith("dup.yml: document 1, line 2: ");
    }

    @Test
    void stringsYaml11WouldReadAsOtherTypesStayQuoted() {
        String in = String.join("\n", "apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: flags", "data:",
                "  debug: \"on\"", "  mode: \"0755\"", "  window: \"1:30\"", "  answer: \"yes\"", "  empty: \"~\"",
                "  ratio: \".5\"", "  port: \"8080\"", "  plain: text", "");
        String out = Manifests.write(Manifests.parse(in, "flags.yml").documents(), Manifests.Format.YAML);
        assertThat(out).contains("debug: \"on\"", "mode: \"0755\"", "window: \"1:30\"", "answer: \"yes\"",
                "empty: \"~\"", "ratio: \".5\"", "port: \"8080\"", "plain: text");
        assertThat(Manifests.parse(out, "again").documents()).isEqualTo(Manifests.parse(in, "flags.yml").documents());
    }

    @Test
    void theUpstreamEmojivotoManifestRoundTrips() throws IOException {
        Path upstream = Path.of("../../shared/emojivoto.yml");
        assumeTrue(Files.isRegularFile(upstream), "the shared emojivoto manifest is only on developer machines");
        String text = Files.readString(upstream);
        List<Object> docs = parse(text);
        List<String> report = inject(docs, true);
        assertThat(report).contains("deployment \"emoji\" injected", "deployment \"vote-bot\" injected",
                "deployment \"voting\" injected", "deployment \"web\" injected");
        for (Object d : docs) {
            INJECTOR.uninject(d);
        }
        assertThat(docs).isEqualTo(parse(text));
    }

    private static List<String> inject(List<Object> docs, boolean manual) {
        return docs.stream().flatMap(d -> INJECTOR.inject(d, manual).stream()).map(Outcome::line).toList();
    }

    private static List<String> names(List<?> containers) {
        return containers.stream().map(c -> String.valueOf(((Map<?, ?>) c).get("name"))).toList();
    }

    private static List<Object> parse(String text) {
        return Manifests.parse(text, "test").documents();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> template(List<Object> docs, String deployment) {
        for (Object d : docs) {
            Map<String, Object> m = (Map<String, Object>) d;
            if ("Deployment".equals(m.get("kind")) && deployment.equals(((Map<?, ?>) m.get("metadata")).get("name"))) {
                return Injector.template(m, "Deployment");
            }
        }
        throw new AssertionError("no deployment " + deployment);
    }

    private static Map<?, ?> spec(Map<String, Object> template) {
        return (Map<?, ?>) template.get("spec");
    }

    private static Map<String, String> env(Map<?, ?> container) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Object e : (List<?>) container.get("env")) {
            Map<?, ?> m = (Map<?, ?>) e;
            if (m.get("value") != null) {
                out.put((String) m.get("name"), (String) m.get("value"));
            }
        }
        return out;
    }

    private static String resource(String name) {
        try (InputStream in = InjectorTest.class.getResourceAsStream("/inject/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
