package io.meshj.controller.inject;

import static java.util.Objects.requireNonNull;

/**
 * What an injected sidecar is configured with: its image, where the control plane is, and the trust
 * anchors it checks peers against. The defaults are the names {@code meshj install} gives the control
 * plane.
 */
public record InjectOptions(String image, String version, String controlPlaneNamespace, String destination,
        String identity, String controllerIdentity, String trustAnchorsPem, String clusterDomain, boolean nativeSidecar) {

    public static final String DEFAULT_IMAGE = "ghcr.io/meshj/proxy";

    public InjectOptions {
        requireNonNull(image, "image");
        requireNonNull(version, "version");
        requireNonNull(controlPlaneNamespace, "controlPlaneNamespace");
        requireNonNull(destination, "destination");
        requireNonNull(identity, "identity");
        requireNonNull(controllerIdentity, "controllerIdentity");
        requireNonNull(trustAnchorsPem, "trustAnchorsPem");
        requireNonNull(clusterDomain, "clusterDomain");
    }

    /** The defaults for a control plane installed in {@code namespace} of a cluster with domain cluster.local. */
    public static InjectOptions defaults(String version, String trustAnchorsPem) {
        String ns = "meshj";
        return new InjectOptions(DEFAULT_IMAGE, version, ns, "meshj-dst." + ns + ".svc.cluster.local:8086",
                "meshj-identity." + ns + ".svc.cluster.local:8080",
                "controller." + ns + ".serviceaccount.identity.meshj.cluster.local", trustAnchorsPem, "cluster.local", false);
    }

    public InjectOptions withImage(String image) {
        return new InjectOptions(image, version, controlPlaneNamespace, destination, identity, controllerIdentity,
                trustAnchorsPem, clusterDomain, nativeSidecar);
    }

    public InjectOptions withNativeSidecar(boolean nativeSidecar) {
        return new InjectOptions(image, version, controlPlaneNamespace, destination, identity, controllerIdentity,
                trustAnchorsPem, clusterDomain, nativeSidecar);
    }
}
