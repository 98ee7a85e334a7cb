package io.meshj.controller.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top-level {@code meshj} command: prints help when run without a subcommand. */
@Command(
        name = "meshj",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = {
            "meshj: a service mesh for the JVM, embedded in Java services or run as a sidecar.",
            ""
        },
        subcommands = {
            VersionCommand.class,
            ProxyCommand.class,
            ControllerCommand.class,
            CheckCommand.class,
            DiagnosticsCommand.class,
            IdentityCommand.class,
            StatCommand.class,
            TapCommand.class,
            TopCommand.class,
            EdgesCommand.class,
            RoutesCommand.class,
            InstallCommand.class,
            InjectCommand.class,
            UninjectCommand.class,
            ProxyAwaitCommand.class,
            ProxyInitCommand.class,
            DemoCommand.class,
            picocli.CommandLine.HelpCommand.class
        },
        footer = {
            "",
            "Run 'meshj help <command>' for a command's options."
        })
final class MeshjCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
