package io.meshj.core.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.MethodDescriptor.MethodType;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.Update;
import io.meshj.api.identity.v1.IdentityGrpc;
import org.junit.jupiter.api.Test;

/** The generated control-plane stubs exist with the shapes the design relies on. */
class ControlPlaneApiTest {

    @Test
    void destinationStreamsUpdatesAndProfiles() throws Exception {
        assertThat(DestinationGrpc.getGetMethod().getFullMethodName()).isEqualTo("io.meshj.api.destination.v1.Destination/Get");
        assertThat(DestinationGrpc.getGetMethod().getType()).isEqualTo(MethodType.SERVER_STREAMING);
        assertThat(DestinationGrpc.getGetProfileMethod().getType()).isEqualTo(MethodType.SERVER_STREAMING);
        GetDestination request = GetDestination.newBuilder().setPath("web-svc.emojivoto:8080").build();
        assertThat(GetDestination.parseFrom(request.toByteArray())).isEqualTo(request);
        assertThat(Update.newBuilder().getUpdateCase()).isEqualTo(Update.UpdateCase.UPDATE_NOT_SET);
    }

    @Test
    void identityCertifiesInOneCall() {
        assertThat(IdentityGrpc.getCertifyMethod().getFullMethodName()).isEqualTo("io.meshj.api.identity.v1.Identity/Certify");
        assertThat(IdentityGrpc.getCertifyMethod().getType()).isEqualTo(MethodType.UNARY);
    }
}
