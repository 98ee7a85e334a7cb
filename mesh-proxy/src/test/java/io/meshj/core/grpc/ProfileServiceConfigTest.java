package io.meshj.core.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.meshj.core.profile.RequestMatch;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A service profile as gRPC service config: the routes that name gRPC methods become method configs
 * that gRPC-Java itself accepts (this test lives with grpc-core, which parses them, rather than in
 * mesh-core, which has only the API).
 */
class ProfileServiceConfigTest {

    @Test
    void routesNamingMethodsBecomeMethodConfigsGrpcAccepts() {
        ServiceProfile p = ServiceProfile.builder("voting-svc.emojivoto.svc.cluster.local")
                .route(Route.builder("vote").condition(RequestMatch.PathRegex.of("/emojivoto\\.v1\\.VotingService/VoteDoughnut"))
                        .retryable(true).timeout(Duration.ofMillis(300)).build())
                .route(Route.builder("all").condition(RequestMatch.PathRegex.of("^/emojivoto\\.v1\\.EmojiService/.*$"))
                        .timeout(Duration.ofSeconds(2)).build())
                .route(Route.builder("regex").condition(RequestMatch.PathRegex.of("/api/\\d+")).timeout(Duration.ofSeconds(1)).build())
                .build();
        Map<String, ?> config = ProfileServiceConfig.of(p);
        assertThat(config.get("methodConfig")).asList().hasSize(2);
        assertThat(config.toString()).contains("timeout=0.3s", "timeout=2s", "retryThrottling", "VoteDoughnut");
        // gRPC-Java refuses an invalid default config when the channel is built.
        ManagedChannel ch = Grpc.newChannelBuilder("dns:///localhost:1", InsecureChannelCredentials.create())
                .defaultServiceConfig(config).build();
        ch.shutdownNow();
    }

    @Test
    void onlyLiteralMethodsAndServicesAreGrpcNames() {
        assertThat(ProfileServiceConfig.grpcName(RequestMatch.PathRegex.of("/pkg\\.Svc/Method")))
                .contains(Map.of("service", "pkg.Svc", "method", "Method"));
        assertThat(ProfileServiceConfig.grpcName(RequestMatch.PathRegex.of("/pkg\\.Svc/.*"))).contains(Map.of("service", "pkg.Svc"));
        assertThat(ProfileServiceConfig.grpcName(RequestMatch.PathRegex.of("/pkg.Svc/Method"))).isEmpty(); // '.' is any char
        assertThat(ProfileServiceConfig.grpcName(RequestMatch.PathRegex.of("/pkg\\.Svc/Vote\\w+"))).isEmpty();
        assertThat(ProfileServiceConfig.grpcName(RequestMatch.PathRegex.of("/a/b/c"))).isEmpty();
        assertThat(ProfileServiceConfig.grpcName(new RequestMatch.Method("POST"))).isEmpty();
        assertThat(ProfileServiceConfig.grpcName(new RequestMatch.All(List.of(new RequestMatch.Method("POST"),
                RequestMatch.PathRegex.of("/pkg\\.Svc/M"))))).contains(Map.of("service", "pkg.Svc", "method", "M"));
        assertThat(ProfileServiceConfig.grpcName(new RequestMatch.All(List.of(new RequestMatch.Method("GET"),
                RequestMatch.PathRegex.of("/pkg\\.Svc/M"))))).isEmpty();
        assertThat(ProfileServiceConfig.of(null)).containsOnlyKeys("loadBalancingConfig");
    }
}
