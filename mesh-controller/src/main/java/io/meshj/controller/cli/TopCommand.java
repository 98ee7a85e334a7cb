package io.meshj.controller.cli;

import io.meshj.api.tap.v1.ObserveRequest;
import io.meshj.api.tap.v1.TapEvent;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshj top}: tap folded into a live table of the busiest paths. On a terminal the table is
 * redrawn every refresh interval; otherwise (a pipe, a script) it is printed once, when the tap ends
 * (its {@code --limit}) or the command is interrupted.
 */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = "A live table of a resource's requests by source, destination and path, from tap.")
final class TopCommand implements Callable<Integer> {

    private static final String CLEAR = "\033[H\033[2J";

    @Spec
    CommandSpec spec;

    @CommandLine.Mixin
    TapOptions options;

    @Option(names = "--refresh", paramLabel = "SECONDS", defaultValue = "1",
            description = "Seconds between redraws on a terminal (default: ${DEFAULT-VALUE}).")
    double refresh;

    @Override
    public Integer call() throws InterruptedException {
        ObserveRequest request = options.request(spec.commandLine());
        if (!(refresh > 0) || Double.isInfinite(refresh)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--refresh " + refresh + ": must be positive");
        }
        PrintWriter out = spec.commandLine().getOut();
        TopTable table = new TopTable();
        boolean terminal = System.console() != null;
        Thread printer = null;
        Thread atExit = new Thread(() -> print(out, table, terminal), "meshj-top-exit");
        if (terminal) {
            printer = new Thread(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        print(out, table, true);
                        TimeUnit.MILLISECONDS.sleep((long) (refresh * 1000)); // a display refresh, not synchronisation
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "meshj-top-refresh");
            printer.setDaemon(true);
            printer.start();
        }
        // Interrupted (Ctrl-C, a timeout): what was gathered is still shown.
        Runtime.getRuntime().addShutdownHook(atExit);
        try (DestinationClient client = DestinationClient.connect(spec.commandLine(), options.destination, options.tls)) {
            Iterator<TapEvent> events = client.tap(request);
            while (events.hasNext()) {
                TapEvent e = events.next();
                synchronized (table) {
                    table.add(e);
                }
            }
        } catch (RuntimeException e) {
            Runtime.getRuntime().removeShutdownHook(atExit);
            throw e;
        }
        if (printer != null) {
            printer.interrupt();
            printer.join();
        }
        Runtime.getRuntime().removeShutdownHook(atExit);
        print(out, table, terminal);
        return 0;
    }

    private static void print(PrintWriter out, TopTable table, boolean clear) {
        synchronized (table) {
            if (clear) {
                out.print(CLEAR);
            }
            table.print(out);
        }
        out.flush();
    }
}
