package io.meshj.controller.cli;

import io.meshj.api.tap.v1.ObserveRequest;
import io.meshj.api.tap.v1.TapEvent;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code meshj tap}: the requests a resource's workloads see, live, one line per request head,
 * response head and response end (Linkerd's format), through the controller's tap broker.
 */
@Command(name = "tap", mixinStandardHelpOptions = true,
        description = "Watch the requests of a resource's meshed workloads as they happen.")
final class TapCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @CommandLine.Mixin
    TapOptions options;

    @Option(names = {"-o", "--output"}, defaultValue = "", description = "wide (adds the resources) or json.")
    String output;

    @Override
    public Integer call() {
        String format = output.toLowerCase(Locale.ROOT);
        if (!List.of("", "wide", "json").contains(format)) {
            throw new ParameterException(spec.commandLine(), "-o " + output + ": use wide or json");
        }
        ObserveRequest request = options.request(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (DestinationClient client = DestinationClient.connect(spec.commandLine(), options.destination, options.tls)) {
            Iterator<TapEvent> events = client.tap(request);
            while (events.hasNext()) {
                TapEvent e = events.next();
                if (e.hasLost()) {
                    // Not on stdout: what scripts read there stays one request event per line.
                    err.println("meshj tap: " + e.getLost().getCount() + " events lost (the tap could not keep up)");
                    err.flush();
                    continue;
                }
                out.println(format.equals("json") ? Json.line(TapLines.json(e)) : TapLines.line(e, format.equals("wide")));
                out.flush();
            }
        }
        return 0;
    }
}
