package io.meshj.controller;

import java.util.Locale;

/** The kinds of resource the CLI's stat, tap and top name, in kubectl's short and long forms. */
public enum ResourceType {
    POD,
    DEPLOYMENT,
    SERVICE,
    NAMESPACE;

    /** The type {@code name} stands for (po, pod, pods, deploy, ..., ns), or null. */
    public static ResourceType parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "po", "pod", "pods" -> POD;
            case "deploy", "deployment", "deployments" -> DEPLOYMENT;
            case "svc", "service", "services" -> SERVICE;
            case "ns", "namespace", "namespaces" -> NAMESPACE;
            default -> null;
        };
    }

    /** What an unknown type is told. */
    public static String expected() {
        return "use pod, deploy, svc or ns";
    }
}
