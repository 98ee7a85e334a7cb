package io.meshj.controller.cli;

import io.meshj.proxy.ProxyMain;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code meshj proxy}: runs the sidecar. Its options are the proxy's own (one table, shared with the
 * injected container's environment), so they pass through untouched; {@code meshj proxy --help} lists them.
 */
@Command(name = "proxy", description = "Run the sidecar proxy (see 'meshj proxy --help' for its options).")
final class ProxyCommand implements Callable<Integer> {

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return ProxyMain.run(args);
    }
}
