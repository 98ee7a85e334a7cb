package io.meshj.core.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolverRegistry;
import io.meshj.core.name.Authority;
import java.net.URI;
import org.junit.jupiter.api.Test;

class MeshNameResolverProviderTest {

    @Test
    void registeredThroughServiceLoaderWithoutTakingOverPlainTargets() {
        NameResolverRegistry registry = NameResolverRegistry.getDefaultRegistry();
        assertThat(registry.getProviderForScheme("mesh")).isInstanceOf(MeshNameResolverProvider.class);
        // A target without a scheme ("127.0.0.1:8086") must still go to DNS, whose priority is 5: gRPC
        // gives such targets the default scheme of the provider with the highest priority.
        assertThat(new MeshNameResolverProvider().priority()).isLessThan(5);
        assertThat(LoadBalancerRegistry.getDefaultRegistry().getProvider(MeshLoadBalancerProvider.POLICY))
                .isInstanceOf(MeshLoadBalancerProvider.class);
    }

    @Test
    void targetsNameAServiceWithItsPort() {
        assertThat(MeshNameResolverProvider.parseTarget(URI.create("mesh:///voting-svc.emojivoto:8080")))
                .isEqualTo(Authority.of("voting-svc.emojivoto", 8080));
        assertThatThrownBy(() -> MeshNameResolverProvider.parseTarget(URI.create("mesh:///voting-svc.emojivoto")))
                .hasMessageContaining("has no port");
        assertThatThrownBy(() -> MeshNameResolverProvider.parseTarget(URI.create("mesh://controller/voting-svc:80")))
                .hasMessageContaining("must look like mesh:///<service>.<namespace>:<port>");
    }
}
