package io.meshj.proxy.embedded;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshj.core.ConfigException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** A mesh configured wrongly says which variable is wrong, and how, before it starts anything. */
class MeshConfigTest {

    @Test
    void aBadValueNamesItsVariable() {
        assertThatThrownBy(() -> Mesh.builder().fromEnvironment(Map.of("MESHJ_DESTINATION", "controller"), new Properties()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("MESHJ_DESTINATION").hasMessageContaining("\"controller\"").hasMessageContaining("host:port");
    }

    @Test
    void aSystemPropertyWinsOverTheEnvironmentAndIsNamedWhenWrong() {
        Properties p = new Properties();
        p.setProperty("meshj.admin.listen", "nowhere");
        assertThatThrownBy(() -> Mesh.builder().fromEnvironment(Map.of("MESHJ_ADMIN_LISTEN", "127.0.0.1:0"), p))
                .isInstanceOf(ConfigException.class).hasMessageContaining("meshj.admin.listen");
    }

    @Test
    void theTokenAndTrustAnchorsAreRequired() {
        assertThatThrownBy(() -> Mesh.builder().build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("MESHJ_TOKEN_FILE")
                .hasMessageContaining("meshj identity token --sa default -n default");
        assertThatThrownBy(() -> Mesh.builder().tokenFile(Path.of("/nonexistent/token")).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("MESHJ_TRUST_ANCHORS");
        assertThatThrownBy(() -> Mesh.builder().tokenFile(Path.of("/nonexistent/token"))
                .trustAnchors(Path.of("/nonexistent/ca.pem")).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("/nonexistent/token cannot be read");
    }
}
