package io.meshj.controller.cli;

import io.meshj.proxy.ProxyInit;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code meshj proxy-init}: installs the iptables rules that route a pod's TCP traffic through its
 * proxy (see {@link ProxyInit}); what the injected {@code meshj-init} container runs, as root with
 * NET_ADMIN, before the pod's other containers start.
 */
@Command(name = "proxy-init", mixinStandardHelpOptions = true,
        description = "Redirect a pod's inbound and outbound TCP through its meshj proxy with iptables (needs NET_ADMIN).")
final class ProxyInitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--incoming-proxy-port", paramLabel = "PORT", defaultValue = "4143", description = "Default: ${DEFAULT-VALUE}.")
    int incoming;

    @Option(names = "--outgoing-proxy-port", paramLabel = "PORT", defaultValue = "4140", description = "Default: ${DEFAULT-VALUE}.")
    int outgoing;

    @Option(names = "--proxy-uid", paramLabel = "UID", defaultValue = "2102",
            description = "The proxy's user, whose own connections are not redirected (default: ${DEFAULT-VALUE}).")
    int uid;

    @Option(names = "--inbound-ports-to-ignore", paramLabel = "PORTS", defaultValue = "",
            description = "Ports and ranges (4190,4191,6000-6010) that reach the application directly.")
    String inboundIgnored;

    @Option(names = "--outbound-ports-to-ignore", paramLabel = "PORTS", defaultValue = "",
            description = "Ports and ranges the application reaches without its proxy.")
    String outboundIgnored;

    @Option(names = "--iptables", paramLabel = "COMMAND", defaultValue = "iptables",
            description = "The iptables binary (e.g. iptables-legacy; default: ${DEFAULT-VALUE}).")
    String iptables;

    @Option(names = "--simulate", description = "Print the iptables commands instead of running them.")
    boolean simulate;

    @Override
    public Integer call() throws InterruptedException {
        ProxyInit init;
        try {
            init = ProxyInit.builder().inboundPort(incoming).outboundPort(outgoing).proxyUid(uid)
                    .ignoreInbound(inboundIgnored).ignoreOutbound(outboundIgnored).build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (simulate) {
            for (List<String> c : init.commands()) {
                out.println(iptables + " " + String.join(" ", c));
            }
        } else {
            try {
                for (String ran : init.apply(List.of(iptables))) {
                    out.println(ran);
                }
            } catch (IllegalStateException e) {
                spec.commandLine().getErr().println("meshj proxy-init: " + e.getMessage());
                return 1;
            }
        }
        out.flush();
        return 0;
    }
}
