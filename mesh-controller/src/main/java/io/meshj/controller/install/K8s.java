package io.meshj.controller.install;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small builders for Kubernetes objects as ordered maps (written out in the order built). */
final class K8s {

    private K8s() {
    }

    /** An ordered map of key, value, key, value... (null values left out). */
    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put((String) kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    static List<Object> list(Object... items) {
        return new ArrayList<>(Arrays.asList(items));
    }

    static Map<String, Object> object(String apiVersion, String kind, Map<String, Object> metadata, Object... rest) {
        Map<String, Object> m = map("apiVersion", apiVersion, "kind", kind, "metadata", metadata);
        m.putAll(map(rest));
        return m;
    }

    static Map<String, Object> metadata(String name, String namespace, Map<String, Object> labels) {
        return map("name", name, "namespace", namespace, "labels", labels);
    }
}
