package io.meshj.controller.cli;

import io.meshj.controller.identity.LocalIdentityStore;
import io.meshj.controller.registry.LocalRegistry;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.time.Ticker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import io.meshj.core.time.Durations;
import io.meshj.tls.WorkloadIdentity;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code meshj identity}: the local mode's trust anchor, issuer and workload tokens; and
 * {@code meshj identity <workload>}, the certificate a workload's proxy holds now, read from its admin port.
 */
@Command(name = "identity", mixinStandardHelpOptions = true,
        description = {"Show the certificate a workload's proxy presents (from its admin port), or manage the local"
                + " mode's identities (init, token).",
            "WORKLOAD is a registered workload's name (found in the local registry) or a proxy's admin HOST:PORT."},
        subcommands = {IdentityCommand.Init.class, IdentityCommand.Token.class})
final class IdentityCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "WORKLOAD", description = "A workload name or an admin HOST:PORT.")
    String workload;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "The workload's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "State directory (default: $MESHJ_HOME, else ~/.meshj).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        if (workload == null) {
            spec.commandLine().usage(spec.commandLine().getOut());
            return 0;
        }
        String admin = adminAddress();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create("http://" + admin + "/identity")).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot reach the admin port of " + workload + " at " + admin + ": " + e);
        }
        if (r.statusCode() != 200) {
            throw new IllegalArgumentException(workload + " (" + admin + "): " + r.body().strip());
        }
        spec.commandLine().getOut().print(r.body());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** {@code host:port} as given, or the registered workload's address and admin port. */
    private String adminAddress() {
        if (workload.matches(".+:\\d+")) {
            return workload;
        }
        Path dir = dataDir != null ? dataDir : ControllerCommand.defaultDataDir();
        Path file = dir.resolve("registry.json");
        if (!java.nio.file.Files.exists(file)) {
            throw new IllegalArgumentException("no local registry at " + file + ": give the proxy's admin HOST:PORT instead");
        }
        LocalRegistry registry = LocalRegistry.open(file, Ticker.system(), AuthorityNormalizer.defaults());
        LocalRegistry.Workload w = registry.workloads().stream()
                .filter(x -> workload.equals(x.name()) && namespace.equals(x.namespace()))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no workload " + workload + " in namespace " + namespace
                        + " is registered (" + file + ")"));
        if (w.adminPort() == 0) {
            throw new IllegalArgumentException("workload " + workload + " registered no admin port: give its HOST:PORT");
        }
        String host = w.address().contains(":") ? "[" + w.address() + "]" : w.address();
        return host + ":" + w.adminPort();
    }

    /** {@code meshj identity init}: a new trust anchor, issuer and token key in the data directory. */
    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create the trust anchor, the issuer and the token signing key (ECDSA P-256, PEM).")
    static final class Init implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "State directory (default: $MESHJ_HOME, else ~/.meshj).")
        Path dataDir;

        @Option(names = "--trust-domain", defaultValue = WorkloadIdentity.DEFAULT_TRUST_DOMAIN,
                description = "The identities' trust domain (default: ${DEFAULT-VALUE}).")
        String trustDomain;

        @Override
        public Integer call() {
            LocalIdentityStore store = new LocalIdentityStore(dataDir != null ? dataDir : ControllerCommand.defaultDataDir());
            try {
                store.init(trustDomain, Clock.systemUTC());
            } catch (IllegalStateException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            spec.commandLine().getOut().println("trust anchor, issuer and token key written to " + store.dir());
            return 0;
        }
    }

    /** {@code meshj identity token --sa SA -n NS}: a token that proves that identity to the controller. */
    @Command(name = "token", mixinStandardHelpOptions = true,
            description = "Mint a workload token proving a service account's identity to the local controller.")
    static final class Token implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--sa", required = true, description = "The service account.")
        String serviceAccount;

        @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "The namespace (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(names = "--ttl", defaultValue = "24h", description = "How long the token is valid (default: ${DEFAULT-VALUE}).")
        String ttl;

        @Option(names = "--trust-domain", defaultValue = WorkloadIdentity.DEFAULT_TRUST_DOMAIN,
                description = "The identities' trust domain (default: ${DEFAULT-VALUE}).")
        String trustDomain;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "State directory (default: $MESHJ_HOME, else ~/.meshj).")
        Path dataDir;

        @Override
        public Integer call() {
            WorkloadIdentity identity;
            Duration validity;
            try {
                identity = new WorkloadIdentity(serviceAccount, namespace, trustDomain);
                validity = Durations.parse(ttl);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            LocalIdentityStore store = new LocalIdentityStore(dataDir != null ? dataDir : ControllerCommand.defaultDataDir());
            spec.commandLine().getOut().println(store.tokens(Clock.systemUTC()).mint(identity, validity));
            return 0;
        }
    }
}
