package io.meshj.core.discovery;

import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.testing.DiscoveryFiles;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The discovery contract, against a static file changed on disk and picked up by real polling. */
class StaticFileDiscoveryContractTest extends DiscoverySourceContract {

    @TempDir
    Path dir;

    private static final AuthorityNormalizer NORMALIZER = AuthorityNormalizer.defaults();

    private final Map<Authority, List<Endpoint>> services = new LinkedHashMap<>();

    @Override
    protected DiscoverySource createSource() throws IOException {
        services.put(WEB, List.of(E1, E2));
        write();
        return StaticFileDiscovery.builder(dir.resolve("endpoints.yml"))
                .reloadInterval(Duration.ofMillis(10))
                .build();
    }

    @Override
    protected void setEndpoints(Authority service, List<Endpoint> endpoints) throws IOException {
        services.put(NORMALIZER.normalize(service), endpoints);
        write();
    }

    @Override
    protected void deleteService(Authority service) throws IOException {
        services.remove(NORMALIZER.normalize(service));
        write();
    }

    private void write() throws IOException {
        DiscoveryFiles.write(dir.resolve("endpoints.yml"), services);
    }
}
