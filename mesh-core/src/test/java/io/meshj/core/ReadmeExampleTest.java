package io.meshj.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.balance.P2cBalancer;
import io.meshj.core.balance.Pick;
import io.meshj.core.discovery.ResolutionCache;
import io.meshj.core.discovery.StaticFileDiscovery;
import io.meshj.core.discovery.Watch;
import io.meshj.core.name.Authority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Using the core library" example, kept compiling and working. */
class ReadmeExampleTest {

    @TempDir
    Path dir;

    @Test
    void readmeExampleWorks() throws Exception {
        Path file = Files.writeString(dir.resolve("endpoints.yml"), """
                services:
                  web-svc.default:8080:
                    - 10.0.0.1:8080
                    - address: 10.0.0.2:8080
                      weight: 20000
                      protocol: h2
                      labels: {pod: web-2}
                """);
        try (StaticFileDiscovery discovery = StaticFileDiscovery.builder(file).build();
                ResolutionCache resolutions = ResolutionCache.builder(discovery).build()) {
            P2cBalancer balancer = P2cBalancer.builder().build();
            Watch web = resolutions.subscribe(Authority.parse("web-svc.default:8080"), balancer::update);

            Set<Authority> used = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                Pick pick = balancer.pick();
                long start = System.nanoTime();
                used.add(pick.endpoint().address());
                pick.onSuccess(System.nanoTime() - start);
            }
            web.close();
            assertThat(used).containsExactlyInAnyOrder(Authority.parse("10.0.0.1:8080"), Authority.parse("10.0.0.2:8080"));
        }
    }
}
