package io.meshj.controller.install;

/**
 * What an install is made of: images and sizes (from flags or a values file) and the certificates —
 * the mesh's trust anchor and identity issuer, and the injector webhook's serving certificate and CA.
 */
public record InstallValues(String version, String controllerImage, String proxyImage, int controllerReplicas,
        String controllerCpuRequest, String controllerMemoryRequest, String controllerMemoryLimit, boolean prometheus,
        String prometheusImage, String trustDomain, String trustAnchorPem, String issuerCertificatePem,
        String issuerKeyPem, String webhookCaPem, String webhookCertificatePem, String webhookKeyPem) {

    public static final String NAMESPACE = "meshj";
}
