package io.meshj.proxy.embedded;

import io.meshj.core.name.Authority;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/** What a mesh is configured with, defaults resolved; see {@link MeshBuilder}. */
record MeshSettings(Authority destination, Authority identityService, String namespace, String serviceAccount,
        Path tokenFile, Path trustAnchors, String trustDomain, String clusterDomain, String workloadName,
        String service, String deployment, String registerAddress, InetSocketAddress adminListen,
        InetSocketAddress tapListen, String controllerIdentity, PrometheusMeterRegistry registry) {
}
