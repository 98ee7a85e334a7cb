package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.meshj.core.testing.KeepAliveHttpClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj routes} end to end: a local controller serving a profile file with two routes, web behind
 * its proxy, vote-bot's proxy sending a scripted set of requests (some failing, one route classing 404
 * as a failure, some matching no route, one retryable route retrying its failure), and the exact rows —
 * success rates included — that routes shows for web's inbound traffic (every attempt) and for
 * vote-bot's outbound traffic to it (each request once; with -o wide, every attempt as ACTUAL_).
 */
class RoutesIT {

    private static final Pattern OUTBOUND = Pattern.compile("ready \\(\\w+\\): outbound /127\\.0\\.0\\.1:(\\d+)");

    private static final String PROFILE = """
            apiVersion: meshj.io/v1alpha1
            kind: ServiceProfile
            metadata: {name: web.default.svc.cluster.local, namespace: default}
            spec:
              routes:
              - name: GET /books
                condition: {method: GET, pathRegex: /books}
                isRetryable: true
              - name: GET /authors/{id}
                condition: {method: GET, pathRegex: '/authors/\\d+'}
                responseClasses:
                - condition: {status: {min: 404, max: 404}}
                  isFailure: true
                - condition: {status: {min: 500, max: 599}}
                  isFailure: false
            """;

    @TempDir
    Path dir;

    private HttpServer app;
    private final java.util.concurrent.CountDownLatch slowRequests = new java.util.concurrent.CountDownLatch(1);
    private final List<MeshjProcess> processes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        slowRequests.countDown();
        if (app != null) {
            app.stop(0);
            ((java.util.concurrent.ExecutorService) app.getExecutor()).shutdownNow();
        }
    }

    @Test
    void routesShowsEachRouteOfTheProfileAndTheDefault() throws Exception {
        // ?status=N answers N, else 200.
        app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4)); // /slow must not hold up the others
        app.createContext("/slow", exchange -> {
            try {
                slowRequests.await(); // answered when the test ends: the proxies must not wait for it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        app.createContext("/", exchange -> {
            String q = exchange.getRequestURI().getQuery();
            int status = q != null && q.startsWith("status=") ? Integer.parseInt(q.substring(7)) : 200;
            byte[] body = "ok\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        int appPort = app.getAddress().getPort();
        String destination = "127.0.0.1:" + LocalMeshes.freePort();
        Path home = dir.resolve("home");
        Files.createDirectories(home.resolve("profiles"));
        Files.writeString(home.resolve("profiles/web.yml"), PROFILE);
        // Reported and ignored, not fatal: the controller names the file, line and field.
        Files.writeString(home.resolve("profiles/broken.yml"), PROFILE.replace("pathRegex: /books", "pathRegex: '('"));
        MeshjProcess controller = MeshjProcess.start(dir.resolve("controller.log"), Pattern.compile("meshj controller ready"),
                "controller", "--local", "--data-dir", home.toString(), "--destination-listen", destination,
                "--identity-listen", "127.0.0.1:0", "--scrape-interval", "1s");
        processes.add(controller);
        assertThat(controller.output()).contains("profiles from " + home.resolve("profiles") + " (1)")
                .containsPattern("broken\\.yml:\\d+: spec\\.routes\\[0\\]\\.condition\\.pathRegex: invalid regular expression");
        processes.add(proxy("web", "web-1", appPort, destination, home, Pattern.compile("registered web.default")));
        MeshjProcess bot = proxy("vote-bot", "vote-bot-1", LocalMeshes.freePort(), destination, home,
                Pattern.compile("registered vote-bot.default"));
        processes.add(bot);
        int outbound = Integer.parseInt(bot.find(OUTBOUND));

        // Traffic must come after each proxy's first scrape, or the window would start after some of it:
        // wait until stat has two scrapes of each (a window of at least a second).
        for (String deploy : List.of("deploy/web", "deploy/vote-bot")) {
            awaitOutput(() -> MeshjProcess.run("stat", deploy, "-o", "json", "--destination", destination),
                    Pattern.compile("\"window_seconds\": [1-9]"));
        }

        String web = "web:" + appPort;
        try (KeepAliveHttpClient c = new KeepAliveHttpClient(outbound)) {
            // GET /books: 3 of 4 succeed (the 500 is a failure by default) -> 75.00 %; the 500 is retryable and
            // fails its three attempts: vote-bot sent 6 (3 of them succeed: 50.00 %), and web got 6.
            for (String path : List.of("/books", "/books", "/books?status=500", "/books")) {
                assertThat(c.get(web, path)).startsWith(path.contains("500") ? "500" : "200");
            }
            // GET /authors/{id}: 404 is a failure and 5xx a success by its response classes -> 2 of 4, 50.00 %
            for (String path : List.of("/authors/1", "/authors/2?status=404", "/authors/3?status=503", "/authors/4?status=404")) {
                assertThat(c.get(web, path)).startsWith(path.contains("status=") ? path.substring(path.length() - 3) : "200");
            }
            // [DEFAULT]: no route matches these (a 404 is a success by default): 4 of 5 succeed -> 80.00 %
            for (String path : List.of("/authors/x?status=404", "/", "/books/1", "/other?status=502", "/other?status=201")) {
                assertThat(c.get(web, path)).startsWith(path.contains("status=") ? path.substring(path.length() - 3) : "200");
            }
        }

        String rows = "(?s).*^ROUTE +SERVICE +SUCCESS +RPS +LATENCY_P50 +LATENCY_P95 +LATENCY_P99$\n"
                + "^GET /books +web +BOOKS +\\d+\\.\\drps +\\d+ms +\\d+ms +\\d+ms$\n"
                + "^GET /authors/\\{id\\} +web +50\\.00% +\\d+\\.\\drps +\\d+ms +\\d+ms +\\d+ms$\n"
                + "^\\[DEFAULT\\] +web +80\\.00% +\\d+\\.\\drps +\\d+ms +\\d+ms +\\d+ms$\n";
        // The controller scrapes every second: poll until its latest scrapes hold all of the traffic.
        String inbound = awaitOutput(() -> MeshjProcess.run("routes", "deploy/web", "--destination", destination),
                Pattern.compile(rows.replace("BOOKS", "50\\.00%"), Pattern.MULTILINE));
        assertThat(inbound.lines()).hasSize(4);
        String sent = awaitOutput(() -> MeshjProcess.run("routes", "deploy/vote-bot", "--to", "deploy/web",
                "--destination", destination), Pattern.compile(rows.replace("BOOKS", "75\\.00%"), Pattern.MULTILINE));
        assertThat(sent.lines()).hasSize(4);
        String wide = MeshjProcess.run("routes", "deploy/vote-bot", "--to", "deploy/web", "-o", "wide", "--destination", destination);
        assertThat(wide).containsPattern("(?m)^ROUTE +SERVICE +EFFECTIVE_SUCCESS +EFFECTIVE_RPS +ACTUAL_SUCCESS +ACTUAL_RPS ")
                .containsPattern("(?m)^GET /books +web +75\\.00% +\\d+\\.\\drps +50\\.00% +\\d+\\.\\drps ")
                .containsPattern("(?m)^GET /authors/\\{id\\} +web +50\\.00% +\\d+\\.\\drps +50\\.00% +\\d+\\.\\drps ");
        String json = MeshjProcess.run("routes", "deploy/web", "-o", "json", "--destination", destination);
        assertThat(json).contains("\"route\": \"GET /books\"").contains("\"authority\": \"web.default.svc.cluster.local\"")
                .contains("\"success\": 0.5");

        // A changed file reaches the proxies through their profile streams: a route with a timeout. A
        // request that gets no response head in time is answered 504 by the proxy, naming the route.
        Files.writeString(home.resolve("profiles/web.yml"), PROFILE + """
                  - name: GET /slow
                    condition: {method: GET, pathRegex: /slow}
                    timeout: 300ms
                """);
        // The controller re-reads it within a second, and pushes it to the proxies' streams as it does.
        awaitOutput(() -> MeshjProcess.run("routes", "deploy/web", "--destination", destination),
                Pattern.compile("(?m)^GET /slow +web +- "));
        AtomicReference<String> slow = new AtomicReference<>("");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
            try (KeepAliveHttpClient c = new KeepAliveHttpClient(outbound)) {
                slow.set(c.get(web, "/slow"));
            } catch (java.net.SocketTimeoutException e) {
                slow.set("(no answer in 10 s: the route's timeout is not applied yet)");
            }
            return slow.get().startsWith("504");
        });
        assertThat(slow.get()).contains("(the timeout of route GET /slow)");

        // vote-bot serves no profile: Linkerd's message, one line, exit 1.
        String none = MeshjProcess.run("routes", "deploy/vote-bot", "--destination", destination);
        assertThat(none).isEqualTo("meshj: No ServiceProfiles found for deploy/vote-bot in namespace default: services"
                + " default/vote-bot have none (put them in the controller's profiles directory, or apply ServiceProfile"
                + " resources)\n");
        assertThat(MeshjProcess.run("routes", "deploy/nope", "--destination", destination))
                .isEqualTo("meshj: no meshed pods of deploy/nope in namespace default\nRun 'meshj routes --help' for usage.\n");
    }

    private MeshjProcess proxy(String sa, String pod, int appPort, String destination, Path home, Pattern ready)
            throws Exception {
        Path token = Files.writeString(dir.resolve(sa + ".token"),
                MeshjProcess.run("identity", "token", "--sa", sa, "--data-dir", home.toString()));
        return MeshjProcess.start(dir.resolve(sa + "-proxy.log"), ready,
                "proxy", "--outbound-listen", "127.0.0.1:0", "--inbound-listen", "127.0.0.1:0",
                "--admin-listen", "127.0.0.1:0", "--tap-listen", "127.0.0.1:0", "--app-ports", Integer.toString(appPort),
                "--shutdown-grace-period", "1s", "--destination", destination, "--register", sa + ".default:" + appPort,
                "--workload-name", pod, "--identity-token-file", token.toString(), "--service-account", sa);
    }

    /** The command's output once it matches {@code expected} (polled, up to 30 s); fails with the last one. */
    private static String awaitOutput(java.util.concurrent.Callable<String> command, Pattern expected) {
        AtomicReference<String> last = new AtomicReference<>("");
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        last.set(command.call());
                        return expected.matcher(last.get()).find();
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no " + expected + " within 30 s; last output:\n" + last.get(), e);
        }
        return last.get();
    }
}
