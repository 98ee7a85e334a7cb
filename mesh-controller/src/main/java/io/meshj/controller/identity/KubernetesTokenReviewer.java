package io.meshj.controller.identity;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshj.tls.WorkloadIdentity;
import java.util.List;

/**
 * Verifies a projected service-account token with the Kubernetes API (a TokenReview, as Linkerd's
 * identity service does): the API server must authenticate it for the audience
 * {@value #AUDIENCE}, and its user must be exactly the service account of the identity asked for,
 * {@code system:serviceaccount:<ns>:<sa>}. The controller's own service account needs the
 * {@code system:auth-delegator} role (create tokenreviews).
 *
 * <p>A token the API server does not accept is a {@link SecurityException} (PERMISSION_DENIED); an
 * API server that cannot be asked is an {@link IllegalStateException} (the workload retries).
 */
public final class KubernetesTokenReviewer implements TokenVerifier {

    /** The audience of the tokens workloads present (the injector projects them with it). */
    public static final String AUDIENCE = "identity.meshj.io";

    private final KubernetesClient client;

    public KubernetesTokenReviewer(KubernetesClient client) {
        this.client = requireNonNull(client, "client");
    }

    @Override
    public void verify(String token, WorkloadIdentity identity) {
        TokenReview request = new TokenReviewBuilder()
                .withNewSpec().withToken(token).withAudiences(AUDIENCE).endSpec()
                .build();
        TokenReview review;
        try {
            review = client.authentication().v1().tokenReviews().create(request);
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("cannot review the token with the Kubernetes API: " + e.getMessage(), e);
        }
        TokenReviewStatus status = review == null ? null : review.getStatus();
        if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
            String error = status == null || status.getError() == null ? "" : ": " + status.getError();
            throw new SecurityException("the Kubernetes API did not authenticate the token" + error);
        }
        // No audiences in the answer means an authenticator that ignores them, for which the token is
        // good for the API server only (TokenReview's API documentation): not proof for the mesh.
        List<String> audiences = status.getAudiences();
        if (audiences == null || !audiences.contains(AUDIENCE)) {
            throw new SecurityException("the token is for " + (audiences == null || audiences.isEmpty()
                    ? "the Kubernetes API only" : audiences) + ", not for " + AUDIENCE);
        }
        String expected = "system:serviceaccount:" + identity.namespace() + ":" + identity.serviceAccount();
        String user = status.getUser() == null ? null : status.getUser().getUsername();
        if (!expected.equals(user)) {
            throw new SecurityException("the token belongs to " + user + ", not to " + expected);
        }
    }
}
