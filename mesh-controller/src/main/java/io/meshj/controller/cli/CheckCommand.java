package io.meshj.controller.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshj check}: is the local control plane healthy? One line per check, ✔ or ✘ with the reason,
 * and a non-zero exit if any failed (the shape of {@code linkerd check}). Kubernetes checks come with
 * the Kubernetes backend.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check that the local control plane is healthy.")
final class CheckCommand implements Callable<Integer> {

    /** A name no service has: any answer to it shows the destination API is served. */
    private static final String PROBE = "meshj-check.meshj.svc.cluster.local:1";

    @Spec
    CommandSpec spec;

    @Option(names = "--destination", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8086",
            description = "The controller's destination service (default: ${DEFAULT-VALUE}).")
    String destination;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "The controller's state directory (default: $MESHJ_HOME, else ~/.meshj).")
    Path dataDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("meshj-local");
        out.println("-----------");
        Path dir = dataDir != null ? dataDir : ControllerCommand.defaultDataDir();
        boolean ok = report(out, dataDirProblem(dir), "data directory " + dir + " is usable");
        try (DestinationClient client = DestinationClient.connect(spec.commandLine(), destination)) {
            String problem;
            try {
                client.firstAnswer(PROBE);
                problem = null;
            } catch (DestinationClient.ControllerUnavailableException | IllegalArgumentException e) {
                problem = e.getMessage();
            }
            ok &= report(out, problem, "controller answers at " + client.target());
        }
        out.println();
        out.println(ok ? "Status check results are ✔" : "Status check results are ✘");
        return ok ? 0 : 1;
    }

    private static String dataDirProblem(Path dir) {
        if (!Files.exists(dir)) {
            return "data directory " + dir + " does not exist (meshj controller creates it)";
        }
        if (!Files.isDirectory(dir)) {
            return "data directory " + dir + " is not a directory";
        }
        if (!Files.isWritable(dir)) {
            return "data directory " + dir + " is not writable";
        }
        return null;
    }

    private static boolean report(PrintWriter out, String problem, String success) {
        if (problem == null) {
            out.println("✔ " + success);
            return true;
        }
        out.println("✘ " + problem);
        return false;
    }
}
