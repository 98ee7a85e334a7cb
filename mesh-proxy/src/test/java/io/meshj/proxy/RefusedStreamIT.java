package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.testing.GoAwayBackend;
import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An HTTP/2 upstream that ends each connection with GOAWAY after one request: the requests it never
 * processed are sent again on newer connections, and every client gets its answer.
 */
class RefusedStreamIT {

    /** Three at once: served one per connection, the last is refused twice before its turn. */
    private static final int REQUESTS = 3;

    @TempDir
    static Path dir;

    static GoAwayBackend backend;
    static MeshFixture mesh;

    @BeforeAll
    static void start() throws Exception {
        backend = GoAwayBackend.start();
        mesh = new MeshFixture(dir)
                .service("goaway.default:80", "    - address: 127.0.0.1:" + backend.port() + "\n      protocol: h2")
                .clientConfig(b -> b.eventLoops(1))
                .start();
    }

    @AfterAll
    static void stop() {
        mesh.close();
        backend.close();
    }

    @Test
    void requestsTheUpstreamNeverProcessedAreSentAgain() throws Exception {
        List<String> args = new ArrayList<>(List.of("--http1.1", "--parallel", "--parallel-immediate",
                "-H", "Host: goaway"));
        for (int i = 0; i < REQUESTS; i++) {
            args.add(mesh.outboundUrl("/r" + i));
        }
        Processes.Result r = Processes.curl(args.toArray(String[]::new)).assertSuccess();

        assertThat(r.stdout()).isEqualTo("served\n".repeat(REQUESTS));
        assertThat(backend.connections()).isGreaterThanOrEqualTo(REQUESTS);
    }
}
