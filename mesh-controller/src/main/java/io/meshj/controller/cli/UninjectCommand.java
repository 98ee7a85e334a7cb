package io.meshj.controller.cli;

import io.meshj.controller.inject.InjectOptions;
import io.meshj.controller.inject.Injector;
import io.meshj.controller.inject.Manifests;
import io.meshj.core.MeshVersion;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshj uninject}: the manifests without what {@code meshj inject} added. */
@Command(name = "uninject", mixinStandardHelpOptions = true,
        description = "Remove the meshj proxy (or the injection annotation) from Kubernetes workloads in manifests.")
final class UninjectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE|DIR|-", arity = "0..*", description = "Manifests to uninject (default: standard input).")
    List<String> inputs = new ArrayList<>();

    @Override
    public Integer call() {
        List<Manifests.Parsed> parsed = ManifestInputs.read(inputs, System.in);
        Injector injector = new Injector(InjectOptions.defaults(MeshVersion.current(), ""));
        List<Injector.Outcome> outcomes = new ArrayList<>();
        for (Manifests.Parsed p : parsed) {
            for (Object d : p.documents()) {
                outcomes.addAll(injector.uninject(d));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(ManifestInputs.write(parsed));
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        for (Injector.Outcome o : outcomes) {
            err.println(o.line());
        }
        err.flush();
        return 0;
    }
}
