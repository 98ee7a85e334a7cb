package io.meshj.controller.identity;

import io.meshj.tls.WorkloadIdentity;

/**
 * Checks that a token proves a workload identity: {@link LocalTokens} (signed by this controller) in
 * local mode, {@link KubernetesTokenReviewer} (a service-account token, through a TokenReview) on
 * Kubernetes. Used by the Identity API and by registration.
 */
@FunctionalInterface
public interface TokenVerifier {

    /**
     * Returns normally if {@code token} proves {@code identity} now.
     *
     * @throws SecurityException with the reason it does not (malformed, expired, another identity, ...)
     */
    void verify(String token, WorkloadIdentity identity);
}
