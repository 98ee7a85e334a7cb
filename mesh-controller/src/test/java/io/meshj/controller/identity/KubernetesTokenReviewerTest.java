package io.meshj.controller.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshj.tls.WorkloadIdentity;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TokenReviews against fabric8's mock API server, which answers them as a real one would for a few
 * known tokens: {@code sa:<ns>:<sa>:<audience>} is that service account's token for that audience.
 * (CRUD mode cannot authenticate anything, so this test scripts the authentication API.)
 */
@EnableKubernetesMockClient
class KubernetesTokenReviewerTest {

    private static final WorkloadIdentity WEB = new WorkloadIdentity("web", "emojivoto", "cluster.local");

    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void fakeAuthenticationApi() {
        server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReply(201, request -> {
            TokenReview asked = client.getKubernetesSerialization().unmarshal(request.getBody().readUtf8(), TokenReview.class);
            String[] parts = asked.getSpec().getToken().split(":");
            TokenReviewBuilder answer = new TokenReviewBuilder(asked);
            if (parts.length != 4 || !parts[0].equals("sa")) {
                return answer.withNewStatus().withAuthenticated(false).withError("invalid bearer token").endStatus().build();
            }
            if (parts[3].equals("unaware")) { // an authenticator that does not look at audiences
                return answer.withNewStatus().withAuthenticated(true)
                        .withNewUser().withUsername("system:serviceaccount:" + parts[1] + ":" + parts[2]).endUser()
                        .endStatus().build();
            }
            if (!asked.getSpec().getAudiences().contains(parts[3])) {
                return answer.withNewStatus().withAuthenticated(false)
                        .withError("token audiences [" + parts[3] + "] is invalid for the target audiences").endStatus().build();
            }
            return answer.withNewStatus().withAuthenticated(true).withAudiences(List.of(parts[3]))
                    .withNewUser().withUsername("system:serviceaccount:" + parts[1] + ":" + parts[2]).endUser()
                    .endStatus().build();
        }).always();
    }

    @Test
    void theServiceAccountsOwnTokenForTheMeshAudienceProvesItsIdentity() {
        new KubernetesTokenReviewer(client).verify("sa:emojivoto:web:identity.meshj.io", WEB);
    }

    @Test
    void anotherAccountsTokenAWrongAudienceOrAnInvalidTokenIsRefusedWithTheReason() {
        KubernetesTokenReviewer reviewer = new KubernetesTokenReviewer(client);
        assertThatThrownBy(() -> reviewer.verify("sa:emojivoto:emoji:identity.meshj.io", WEB))
                .isInstanceOf(SecurityException.class)
                .hasMessage("the token belongs to system:serviceaccount:emojivoto:emoji, not to system:serviceaccount:emojivoto:web");
        assertThatThrownBy(() -> reviewer.verify("sa:emojivoto:web:kubernetes", WEB))
                .isInstanceOf(SecurityException.class).hasMessageContaining("invalid for the target audiences");
        assertThatThrownBy(() -> reviewer.verify("sa:emojivoto:web:unaware", WEB))
                .isInstanceOf(SecurityException.class).hasMessageContaining("for the Kubernetes API only");
        assertThatThrownBy(() -> reviewer.verify("garbage", WEB))
                .isInstanceOf(SecurityException.class).hasMessageContaining("did not authenticate the token: invalid bearer token");
    }

    @Test
    void anApiServerThatWillNotAnswerIsNotARefusal() {
        server.reset();
        server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReturn(403, "tokenreviews.authentication.k8s.io is forbidden: the controller lacks system:auth-delegator").always();
        assertThatThrownBy(() -> new KubernetesTokenReviewer(client).verify("sa:emojivoto:web:identity.meshj.io", WEB))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot review the token");
        assertThat(server.getRequestCount()).isPositive();
    }
}
