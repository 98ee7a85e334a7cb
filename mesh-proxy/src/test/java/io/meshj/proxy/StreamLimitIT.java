package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.testing.MeshFixture;
import io.meshj.proxy.testing.Processes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * More requests at once than one HTTP/2 connection between the proxies may carry (the server proxy
 * allows 100 concurrent streams), sent to a client proxy that has no connection yet: the requests that
 * arrive before the server proxy's SETTINGS must neither exceed its limit (refused streams, or the
 * connection closed with PROTOCOL_ERROR) nor fail; they spread over more connections.
 */
class StreamLimitIT {

    private static final int REQUESTS = 300;

    @TempDir
    Path dir;

    MeshFixture mesh;

    @BeforeEach
    void start() throws Exception {
        mesh = new MeshFixture(dir).clientConfig(b -> b.eventLoops(1)).start();
    }

    @AfterEach
    void stop() {
        mesh.close();
    }

    @Test
    void aBurstAboveTheStreamLimitIsServedWhole() throws Exception {
        List<String> args = new ArrayList<>(List.of("--http1.1", "--parallel", "--parallel-immediate",
                "--parallel-max", Integer.toString(REQUESTS), "-H", "Host: web", "-w", "%{http_code}\\n"));
        for (int i = 0; i < REQUESTS; i++) {
            args.add(mesh.outboundUrl("/slow?ms=300&i=" + i));
        }
        Processes.Result r = Processes.curl(args.toArray(String[]::new)).assertSuccess();

        long ok = r.stdout().lines().filter("200"::equals).count();
        assertThat(ok).as("curl output:\n%s", r.stdout()).isEqualTo(REQUESTS);
    }
}
