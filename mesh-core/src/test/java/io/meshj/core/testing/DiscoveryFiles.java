package io.meshj.core.testing;

import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.name.Authority;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/** Writes static discovery files (the proxy's and the local registry's YAML format) for tests. */
public final class DiscoveryFiles {

    private DiscoveryFiles() {
    }

    /**
     * Replaces {@code file} with {@code services} (name → endpoints; an empty list is a known service
     * without endpoints), by rename, as editors and Kubernetes config-map mounts do, so a reader
     * polling the file never sees half of it.
     */
    public static void write(Path file, Map<Authority, List<Endpoint>> services) throws IOException {
        StringBuilder yaml = new StringBuilder("services:\n");
        services.forEach((service, endpoints) -> {
            yaml.append("  ").append(service).append(":");
            if (endpoints.isEmpty()) {
                yaml.append(" []\n");
                return;
            }
            yaml.append('\n');
            for (Endpoint e : endpoints) {
                yaml.append("    - ").append(e.address()).append('\n');
            }
        });
        Path tmp = Files.writeString(file.resolveSibling(file.getFileName() + ".tmp"), yaml);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
