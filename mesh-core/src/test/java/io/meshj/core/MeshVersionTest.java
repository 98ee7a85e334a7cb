package io.meshj.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MeshVersionTest {

    @Test
    void versionComesFromTheBuild() {
        // Filtered from the POM at build time; "unknown" would mean the resource was not filtered.
        assertThat(MeshVersion.current()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }
}
