package io.meshj.controller.inject;

import static java.util.Objects.requireNonNull;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.ToNumberPolicy;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The injector's admission webhook (Kubernetes AdmissionReview v1): for a Pod being created in a
 * namespace annotated {@code meshj.io/inject: enabled}, or annotated so itself, it answers with a
 * JSONPatch that turns the pod into what {@code meshj inject --manual} makes of its workload's
 * template. Every other review is allowed unchanged. The webhook never refuses a pod: a review it
 * cannot use is allowed with a warning saying why (the API server's {@code failurePolicy: Ignore}
 * does the same when the webhook is down).
 */
public final class InjectionWebhook {

    private static final Gson GSON = new GsonBuilder().setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE)
            .disableHtmlEscaping().create();

    private final Injector injector;
    private final Function<String, Map<String, String>> namespaceAnnotations;

    /** {@code namespaceAnnotations}: a namespace's annotations (empty when unknown). */
    public InjectionWebhook(Injector injector, Function<String, Map<String, String>> namespaceAnnotations) {
        this.injector = requireNonNull(injector, "injector");
        this.namespaceAnnotations = requireNonNull(namespaceAnnotations, "namespaceAnnotations");
    }

    /** A body that is not an AdmissionReview at all: the HTTP answer is 400 with this message. */
    public static final class MalformedReviewException extends IllegalArgumentException {
        MalformedReviewException(String message) {
            super(message);
        }
    }

    /**
     * The AdmissionReview answering {@code body} (JSON).
     *
     * @throws MalformedReviewException when {@code body} is not an AdmissionReview with a request uid
     */
    public String review(String body) {
        Object parsed;
        try {
            parsed = GSON.fromJson(body, Object.class);
        } catch (JsonParseException e) {
            throw new MalformedReviewException("not JSON: " + e.getMessage());
        }
        Map<String, Object> review = Injector.map(parsed);
        Map<String, Object> request = Injector.map(review.get("request"));
        Object uid = request.get("uid");
        if (!"AdmissionReview".equals(review.get("kind")) || uid == null) {
            throw new MalformedReviewException("not an AdmissionReview with a request uid");
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("uid", uid);
        response.put("allowed", true);
        try {
            List<Map<String, Object>> patch = patch(request);
            if (!patch.isEmpty()) {
                response.put("patchType", "JSONPatch");
                response.put("patch", Base64.getEncoder().encodeToString(GSON.toJson(patch).getBytes(StandardCharsets.UTF_8)));
            }
        } catch (RuntimeException e) {
            response.put("warnings", List.of("meshj: pod not injected: " + e.getMessage()));
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("apiVersion", review.getOrDefault("apiVersion", "admission.k8s.io/v1"));
        answer.put("kind", "AdmissionReview");
        answer.put("response", response);
        return GSON.toJson(answer);
    }

    /** The patch for the reviewed object: empty unless it is a Pod being created that is to be injected. */
    private List<Map<String, Object>> patch(Map<String, Object> request) {
        Map<String, Object> kind = Injector.map(request.get("kind"));
        if (!"Pod".equals(kind.get("kind")) || !"CREATE".equals(request.getOrDefault("operation", "CREATE"))) {
            return List.of();
        }
        if (!(request.get("object") instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("the review carries no pod");
        }
        Map<String, Object> before = Injector.map(request.get("object"));
        String namespace = String.valueOf(request.getOrDefault("namespace",
                Injector.map(before.getOrDefault("metadata", Map.of())).getOrDefault("namespace", "default")));
        Map<String, Object> metadata = Injector.map(before.getOrDefault("metadata", Map.of()));
        Map<String, String> nsAnnotations = namespaceAnnotations.apply(namespace);
        Object own = Injector.map(metadata.getOrDefault("annotations", Map.of())).get(Injector.INJECT_ANNOTATION);
        String wanted = own != null ? String.valueOf(own) : nsAnnotations.get(Injector.INJECT_ANNOTATION);
        if (!"enabled".equals(wanted)) {
            return List.of();
        }
        Map<String, Object> after = copy(before);
        String[] owner = owner(metadata);
        Injector.Outcome outcome = injector.injectPod(after, namespace, owner[0], owner[1], nsAnnotations);
        if (!outcome.changed()) {
            return List.of();
        }
        return JsonPatches.additions(before, after);
    }

    /**
     * The workload a pod belongs to, as {kind, name}: its controller (a ReplicaSet made by a Deployment
     * counts as that Deployment, as in {@code meshj.io/proxy-deployment}), else the pod itself.
     */
    static String[] owner(Map<String, Object> metadata) {
        if (metadata.get("ownerReferences") instanceof List<?> owners) {
            for (Object o : owners) {
                Map<String, Object> ref = Injector.map(o);
                if (Boolean.TRUE.equals(ref.get("controller")) && ref.get("kind") != null && ref.get("name") != null) {
                    String kind = String.valueOf(ref.get("kind"));
                    String name = String.valueOf(ref.get("name"));
                    Object hash = Injector.map(metadata.getOrDefault("labels", Map.of())).get("pod-template-hash");
                    if (kind.equals("ReplicaSet") && hash != null && name.endsWith("-" + hash)) {
                        return new String[] {"Deployment", name.substring(0, name.length() - String.valueOf(hash).length() - 1)};
                    }
                    return new String[] {kind, name};
                }
            }
        }
        Object name = metadata.get("name");
        return new String[] {"Pod", name != null ? String.valueOf(name) : String.valueOf(metadata.getOrDefault("generateName", ""))};
    }

    private static Map<String, Object> copy(Map<String, Object> m) {
        return Injector.map(GSON.fromJson(GSON.toJson(m), Object.class));
    }

    /** Parses JSON the way reviews are parsed (whole numbers stay whole). */
    public static Object parseJson(String json) {
        return GSON.fromJson(json, Object.class);
    }
}
