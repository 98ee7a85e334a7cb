package io.meshj.controller.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.Gson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The admission webhook: its patch, applied to the pod a Deployment creates, gives the pod that
 * {@code meshj inject --manual} makes of the Deployment; opt-outs, other kinds and unusable reviews get
 * no patch; a body that is no review is refused with a reason.
 */
class InjectionWebhookTest {

    private static final String PEM = resource("trust-anchor.pem");
    private final Injector injector = new Injector(InjectOptions.defaults("test", PEM));
    private final Map<String, Map<String, String>> namespaces = new LinkedHashMap<>();
    private final InjectionWebhook webhook = new InjectionWebhook(injector, ns -> namespaces.getOrDefault(ns, Map.of()));

    @Test
    void thePatchedPodIsTheManuallyInjectedTemplate() {
        namespaces.put("shop", Map.of(Injector.INJECT_ANNOTATION, "enabled"));
        for (String deployment : List.of("web", "cart")) {
            Map<String, Object> template = template(deployment);
            Map<String, Object> pod = podOf(template, deployment, "5d4c7b9f8");
            Map<String, Object> patched = apply(pod, patchOf(review(pod, "shop")));

            Map<String, Object> manual = Injector.map(parse(Manifests.write(List.of(manualTemplate(deployment)), Manifests.Format.JSON)));
            assertThat(patched.get("spec")).as(deployment).isEqualTo(manual.get("spec"));
            Map<String, Object> labels = Injector.map(Injector.map(patched.get("metadata")).get("labels"));
            assertThat(labels).containsAllEntriesOf(Injector.map(Injector.map(manual.get("metadata")).get("labels")))
                    .containsEntry("pod-template-hash", "5d4c7b9f8");
            Map<String, Object> annotations = Injector.map(Injector.map(patched.get("metadata")).get("annotations"));
            assertThat(annotations).containsAllEntriesOf(Injector.map(Injector.map(manual.get("metadata")).get("annotations")));
        }
    }

    @Test
    void podsOptInOrOutThemselvesAndOnlyCreatedPodsAreTouched() {
        Map<String, Object> pod = podOf(template("web"), "web", "abc");
        assertThat(patchOf(review(pod, "shop"))).isNull(); // no opt-in anywhere
        Injector.map(pod.get("metadata")).put("annotations", new LinkedHashMap<>(Map.of(Injector.INJECT_ANNOTATION, "enabled")));
        assertThat(patchOf(review(pod, "shop"))).isNotNull();

        namespaces.put("shop", Map.of(Injector.INJECT_ANNOTATION, "enabled"));
        Injector.map(pod.get("metadata")).put("annotations", new LinkedHashMap<>(Map.of(Injector.INJECT_ANNOTATION, "disabled")));
        assertThat(patchOf(review(pod, "shop"))).isNull();

        String update = reviewJson(pod, "shop").replace("\"operation\":\"CREATE\"", "\"operation\":\"UPDATE\"");
        assertThat(patchOf(webhook.review(update))).isNull();
        String service = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u1\","
                + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Service\"},\"operation\":\"CREATE\",\"object\":{}}}";
        assertThat(webhook.review(service)).contains("\"uid\":\"u1\"", "\"allowed\":true").doesNotContain("patch");
    }

    @Test
    void unusableReviewsAreAllowedWithAWarningAndGarbageIsRefused() {
        String noPod = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u2\","
                + "\"kind\":{\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"namespace\":\"shop\"}}";
        assertThat(webhook.review(noPod)).contains("\"allowed\":true", "meshj: pod not injected: the review carries no pod");
        assertThatThrownBy(() -> webhook.review("{not json")).isInstanceOf(InjectionWebhook.MalformedReviewException.class)
                .hasMessageStartingWith("not JSON");
        assertThatThrownBy(() -> webhook.review("{\"kind\":\"Pod\"}")).hasMessage("not an AdmissionReview with a request uid");
    }

    @Test
    void ownersNameTheWorkload() {
        assertThat(InjectionWebhook.owner(Map.of("ownerReferences", List.of(Map.of("kind", "StatefulSet", "name", "ledger",
                "controller", true))))).containsExactly("StatefulSet", "ledger");
        assertThat(InjectionWebhook.owner(Map.of("name", "debug"))).containsExactly("Pod", "debug");
        assertThat(InjectionWebhook.owner(Map.of("labels", Map.of("pod-template-hash", "x1"), "ownerReferences",
                List.of(Map.of("kind", "ReplicaSet", "name", "web-x1", "controller", true))))).containsExactly("Deployment", "web");
    }

    // ---- helpers ----

    private String review(Map<String, Object> pod, String namespace) {
        return webhook.review(reviewJson(pod, namespace));
    }

    private static String reviewJson(Map<String, Object> pod, String namespace) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("uid", "705ab4f5-6393-11e8-b7cc-42010a800002");
        request.put("kind", Map.of("group", "", "version", "v1", "kind", "Pod"));
        request.put("namespace", namespace);
        request.put("operation", "CREATE");
        request.put("object", pod);
        return new Gson().toJson(Map.of("apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
                "request", request));
    }

    /** The decoded patch of an answer, or null when it has none. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> patchOf(String answer) {
        Map<String, Object> response = Injector.map(Injector.map(parse(answer)).get("response"));
        assertThat(response.get("allowed")).isEqualTo(true);
        Object patch = response.get("patch");
        return patch == null ? null : (List<Map<String, Object>>) parse(new String(Base64.getDecoder().decode((String) patch),
                StandardCharsets.UTF_8));
    }

    /** Applies RFC 6902 "add" operations (all the webhook emits) to a copy of {@code doc}. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> apply(Map<String, Object> doc, List<Map<String, Object>> patch) {
        Map<String, Object> out = copy(doc);
        for (Map<String, Object> op : patch) {
            assertThat(op.get("op")).isEqualTo("add");
            String[] tokens = ((String) op.get("path")).substring(1).split("/");
            Object parent = out;
            for (int i = 0; i < tokens.length - 1; i++) {
                String t = unescape(tokens[i]);
                parent = parent instanceof List<?> l ? l.get(Integer.parseInt(t)) : ((Map<String, Object>) parent).get(t);
            }
            String last = unescape(tokens[tokens.length - 1]);
            if (parent instanceof List<?> l) {
                ((List<Object>) l).add(last.equals("-") ? l.size() : Integer.parseInt(last), op.get("value"));
            } else {
                ((Map<String, Object>) parent).put(last, op.get("value"));
            }
        }
        return out;
    }

    private static String unescape(String token) {
        return token.replace("~1", "/").replace("~0", "~");
    }

    private static Map<String, Object> podOf(Map<String, Object> template, String deployment, String hash) {
        Map<String, Object> pod = copy(template);
        Map<String, Object> metadata = Injector.map(pod.get("metadata"));
        Map<String, Object> labels = new LinkedHashMap<>(Injector.map(metadata.get("labels")));
        labels.put("pod-template-hash", hash);
        metadata.put("labels", labels);
        metadata.put("generateName", deployment + "-" + hash + "-");
        metadata.put("ownerReferences", List.of(Map.of("apiVersion", "apps/v1", "kind", "ReplicaSet",
                "name", deployment + "-" + hash, "controller", true)));
        return pod;
    }

    private static Map<String, Object> template(String deployment) {
        for (Object d : Manifests.parse(resource("workloads.yml"), "workloads.yml").documents()) {
            Map<String, Object> m = Injector.map(d);
            if ("Deployment".equals(m.get("kind")) && deployment.equals(Injector.map(m.get("metadata")).get("name"))) {
                return copy(Injector.template(m, "Deployment"));
            }
        }
        throw new AssertionError(deployment);
    }

    private Map<String, Object> manualTemplate(String deployment) {
        for (Object d : Manifests.parse(resource("workloads.yml"), "workloads.yml").documents()) {
            Map<String, Object> m = Injector.map(d);
            if ("Deployment".equals(m.get("kind")) && deployment.equals(Injector.map(m.get("metadata")).get("name"))) {
                injector.inject(m, true);
                return Injector.template(m, "Deployment");
            }
        }
        throw new AssertionError(deployment);
    }

    private static Map<String, Object> copy(Map<String, Object> m) {
        return Injector.map(parse(new Gson().toJson(m)));
    }

    private static Object parse(String json) {
        return InjectionWebhook.parseJson(json);
    }

    private static String resource(String name) {
        try (InputStream in = InjectionWebhookTest.class.getResourceAsStream("/inject/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
