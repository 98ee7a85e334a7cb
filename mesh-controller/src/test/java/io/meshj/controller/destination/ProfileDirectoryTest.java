package io.meshj.controller.destination;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.discovery.Watch;
import io.meshj.core.name.Authority;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local mode's profiles: files in a directory, re-read on each poll, bad ones ignored. */
class ProfileDirectoryTest {

    private static final Authority WEB = Authority.parse("web.default.svc.cluster.local:8080");

    @TempDir
    Path dir;

    private static String profile(String... routes) {
        StringBuilder b = new StringBuilder("apiVersion: meshj.io/v1alpha1\nkind: ServiceProfile\nmetadata:\n"
                + "  name: web.default.svc.cluster.local\n  namespace: default\nspec:\n  routes:\n");
        for (String r : routes) {
            b.append("  - name: ").append(r).append("\n    condition: {method: GET, pathRegex: /").append(r).append("}\n");
        }
        return b.toString();
    }

    private static List<String> names(ServiceProfile p) {
        return p.routes().stream().map(Route::name).toList();
    }

    @Test
    void servesFilesAndFollowsTheirChanges() throws Exception {
        Path file = Files.writeString(dir.resolve("web.yml"), profile("books"));
        ProfileDirectory profiles = ProfileDirectory.open(dir);
        List<ServiceProfile> seen = new ArrayList<>();
        Watch w = profiles.watch(WEB, seen::add);
        assertThat(seen).hasSize(1);
        assertThat(names(seen.get(0))).containsExactly("books");

        profiles.poll(); // unchanged: nothing sent
        assertThat(seen).hasSize(1);

        Files.writeString(file, profile("books", "authors"));
        profiles.poll();
        assertThat(names(seen.get(1))).containsExactly("books", "authors");

        // Invalid: reported and ignored; the service keeps the profile the file gave before.
        Files.writeString(file, profile("books").replace("pathRegex: /books", "pathRegex: \"(\""));
        profiles.poll();
        assertThat(seen).hasSize(2);
        assertThat(profiles.size()).isEqualTo(1);

        Files.delete(file);
        profiles.poll();
        assertThat(seen).hasSize(3);
        assertThat(seen.get(2).routes()).isEmpty();
        w.close();
        Files.writeString(file, profile("books"));
        profiles.poll();
        assertThat(seen).hasSize(3);
    }

    @Test
    void aMissingDirectoryOrABadFileServesDefaultProfiles() throws Exception {
        ProfileDirectory missing = ProfileDirectory.open(dir.resolve("none"));
        List<ServiceProfile> seen = new ArrayList<>();
        missing.watch(WEB, seen::add);
        assertThat(seen.get(0).routes()).isEmpty();

        Files.writeString(dir.resolve("bad.yml"), "kind: Nope\n");
        Files.writeString(dir.resolve("notes.txt"), "not a profile");
        ProfileDirectory bad = ProfileDirectory.open(dir);
        assertThat(bad.size()).isZero();
        bad.watch(WEB, seen::add);
        assertThat(seen.get(1).routes()).isEmpty();
    }
}
