package io.meshj.controller.cli;

import io.meshj.core.ConfigException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Entry point of {@code bin/meshj}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // UTF-8 whatever the locale (as JDK 18+ does by default, JEP 400): edges prints Linkerd's √ and ×,
        // which JDK 17 in a POSIX locale would turn into '?'.
        System.exit(run(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true),
                new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true), args));
    }

    /**
     * Runs the CLI with the given streams and returns its exit code: 0 on success, 1 when a command
     * fails on bad input (the message names the input; no stack trace), 2 for a usage error.
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new MeshjCommand());
        cli.setOut(out);
        cli.setErr(err);
        // A usage error is one line naming what was wrong, and where to look; not the whole usage text.
        cli.setParameterExceptionHandler((e, arguments) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr().println("meshj: " + e.getMessage());
            failed.getErr().println("Run '" + failed.getCommandSpec().qualifiedName() + " --help' for usage.");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof ConfigException || e instanceof IllegalArgumentException
                    || e instanceof DestinationClient.ControllerUnavailableException
                    || e instanceof PrometheusStats.PrometheusException) {
                // User error: the message already names the file, line and field.
                commandLine.getErr().println("meshj: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(namespaceAfterCommand(args));
    }

    /**
     * {@code meshj -n emojivoto stat deploy}, as kubectl and linkerd take it: a namespace given before
     * the command is moved after it, where the command's own {@code -n} option reads it.
     */
    static String[] namespaceAfterCommand(String[] args) {
        if (args.length < 3 || !(args[0].equals("-n") || args[0].equals("--namespace"))) {
            return args;
        }
        java.util.List<String> moved = new java.util.ArrayList<>(java.util.List.of(args));
        String flag = moved.remove(0);
        String ns = moved.remove(0);
        int at = 1;
        // A command with subcommands (identity token) takes the option after its last word.
        while (at < moved.size() && !moved.get(at).startsWith("-") && cliHasSubcommand(moved.subList(0, at + 1))) {
            at++;
        }
        moved.add(at, flag);
        moved.add(at + 1, ns);
        return moved.toArray(String[]::new);
    }

    private static boolean cliHasSubcommand(java.util.List<String> words) {
        CommandLine c = new CommandLine(new MeshjCommand());
        for (String w : words) {
            CommandLine next = c.getSubcommands().get(w);
            if (next == null) {
                return false;
            }
            c = next;
        }
        return true;
    }
}
