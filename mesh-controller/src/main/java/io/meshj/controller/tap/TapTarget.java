package io.meshj.controller.tap;

import io.meshj.controller.ResourceType;

/**
 * A workload whose tap server the controller can observe: what it belongs to, where its tap port is,
 * and the identity its proxy presents (null: a proxy without identity, tapped in plaintext).
 */
public record TapTarget(String namespace, String pod, String deployment, String service, String host, int port,
        String tlsIdentity) {

    /** The name this workload has as a resource of {@code type}. */
    public String name(ResourceType type) {
        return switch (type) {
            case POD -> pod;
            case DEPLOYMENT -> deployment;
            case SERVICE -> service;
            case NAMESPACE -> namespace;
        };
    }
}
