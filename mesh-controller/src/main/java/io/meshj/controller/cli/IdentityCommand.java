package io.meshj.controller.cli;

import io.meshj.controller.identity.LocalIdentityStore;
import io.meshj.core.time.Durations;
import io.meshj.tls.WorkloadIdentity;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code meshj identity}: the local mode's trust anchor, issuer and workload tokens. */
@Command(name = "identity", mixinStandardHelpOptions = true,
        description = "Manage workload identities of the local mode.",
        subcommands = {IdentityCommand.Init.class, IdentityCommand.Token.class})
final class IdentityCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
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
