package io.meshj.controller.cli;

import io.meshj.core.time.Durations;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code meshj proxy-await}: returns once the pod's proxy says it is ready. Injection runs it as the
 * proxy container's postStart hook, and the kubelet starts the application's containers only after the
 * hook returns — so the application never sends a request its proxy cannot carry yet (Linkerd's
 * linkerd-await does the same).
 */
@Command(name = "proxy-await", mixinStandardHelpOptions = true,
        description = "Wait until the local proxy's admin /ready answers 200 (for a postStart hook).")
final class ProxyAwaitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:4191",
            description = "The proxy's admin server (default: ${DEFAULT-VALUE}).")
    String admin;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2m",
            description = "Give up (exit 1) after this long (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public Integer call() throws InterruptedException {
        Duration limit;
        try {
            limit = Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--timeout " + timeout + ": " + e.getMessage());
        }
        URI ready;
        try {
            ready = URI.create("http://" + admin + "/ready");
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--admin " + admin + ": " + e.getMessage());
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() - deadline < 0) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return 0;
                }
                last = "HTTP " + r.statusCode();
            } catch (IOException e) {
                last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            Thread.sleep(200); // the pace of polling a local endpoint, not a synchronisation
        }
        spec.commandLine().getErr().println("meshj proxy-await: the proxy at " + admin + " was not ready within "
                + Durations.format(limit) + " (" + last + ")");
        return 1;
    }
}
