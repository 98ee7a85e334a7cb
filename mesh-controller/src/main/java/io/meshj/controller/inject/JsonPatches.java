package io.meshj.controller.inject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The RFC 6902 JSON Patch that turns a pod into its injected self. Injection only adds — keys to
 * labels and annotations, elements to lists — so the patch is made of {@code add} operations on
 * exactly those places, never a {@code replace} of what the API server (or another webhook) may have
 * set meanwhile.
 */
final class JsonPatches {

    private JsonPatches() {
    }

    /** Adds that make {@code before} equal to {@code after}, for the parts injection touches. */
    static List<Map<String, Object>> additions(Map<String, Object> before, Map<String, Object> after) {
        List<Map<String, Object>> ops = new ArrayList<>();
        Map<String, Object> beforeMeta = Injector.map(before.get("metadata"));
        Map<String, Object> afterMeta = Injector.map(after.get("metadata"));
        if (!before.containsKey("metadata")) {
            ops.add(op("/metadata", afterMeta));
        } else {
            for (String key : List.of("labels", "annotations")) {
                mapAdditions(ops, "/metadata/" + key, beforeMeta.get(key), afterMeta.get(key), beforeMeta.containsKey(key));
            }
        }
        Map<String, Object> beforeSpec = Injector.map(before.get("spec"));
        Map<String, Object> afterSpec = Injector.map(after.get("spec"));
        for (String key : List.of("initContainers", "containers", "volumes")) {
            listAdditions(ops, "/spec/" + key, beforeSpec.get(key), afterSpec.get(key), beforeSpec.containsKey(key));
        }
        return ops;
    }

    private static void mapAdditions(List<Map<String, Object>> ops, String path, Object before, Object after, boolean existed) {
        if (!(after instanceof Map<?, ?> a)) {
            return;
        }
        if (!existed || !(before instanceof Map<?, ?> b)) {
            ops.add(op(path, after));
            return;
        }
        for (Map.Entry<?, ?> e : a.entrySet()) {
            if (!Objects.equals(b.get(e.getKey()), e.getValue())) {
                ops.add(op(path + "/" + escape(String.valueOf(e.getKey())), e.getValue()));
            }
        }
    }

    /** Inserts at the index each new element has in {@code after}; applied in order, they rebuild it. */
    private static void listAdditions(List<Map<String, Object>> ops, String path, Object before, Object after, boolean existed) {
        if (!(after instanceof List<?> a)) {
            return;
        }
        if (!existed || !(before instanceof List<?> b)) {
            ops.add(op(path, after));
            return;
        }
        int j = 0;
        for (int i = 0; i < a.size(); i++) {
            if (j < b.size() && Objects.equals(a.get(i), b.get(j))) {
                j++;
            } else {
                ops.add(op(path + "/" + i, a.get(i)));
            }
        }
    }

    private static Map<String, Object> op(String path, Object value) {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("op", "add");
        op.put("path", path);
        op.put("value", value);
        return op;
    }

    /** A key as a JSON Pointer token (RFC 6901): ~ and / escaped. */
    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }
}
