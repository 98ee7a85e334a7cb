package io.meshj.controller.cli;

import io.meshj.core.MeshVersion;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshj version}: the client's version and, once the controller API exists, the server's —
 * the same two lines as {@code linkerd version}.
 */
@Command(name = "version", description = "Print the client and server version information.")
final class VersionCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--client", description = "Print the client version only.")
    boolean clientOnly;

    @Option(names = "--short", description = "Print the version number(s) only.")
    boolean shortFormat;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        String client = MeshVersion.current();
        out.println(shortFormat ? client : "Client version: " + client);
        if (!clientOnly) {
            // No controller API to ask yet (it arrives with the control-plane issue); say so plainly.
            out.println(shortFormat ? "unavailable" : "Server version: unavailable");
        }
    }

    /** Backs {@code meshj --version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"meshj " + MeshVersion.current()};
        }
    }
}
