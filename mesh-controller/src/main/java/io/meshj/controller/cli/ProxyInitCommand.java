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
 * NET_ADMIN, before the pod's other containers start. {@code --dry-run} prints the rules,
 * {@code --uninstall} removes them. Exit status: 0 done, 1 iptables missing, not permitted or refusing
 * a rule (one line on standard error), 2 a bad option.
 */
@Command(name = "proxy-init", mixinStandardHelpOptions = true,
        description = {"Redirect a pod's inbound and outbound TCP through its meshj proxy with iptables (needs root or CAP_NET_ADMIN).",
            "Inbound TCP goes to the incoming proxy port except to 4190 and 4191 (the proxy's tap and admin ports) and the inbound ports to ignore; "
                + "outbound TCP goes to the outgoing proxy port except the proxy user's, over loopback, to the subnets and to the outbound ports to ignore. "
                + "The rules live in the nat table's MESHJ_INBOUND and MESHJ_OUTPUT chains; running again replaces them."})
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
            description = "Ports and ranges (8443,6000-6010) that reach the application directly; 4190 and 4191 always do.")
    String inboundIgnored;

    @Option(names = "--outbound-ports-to-ignore", paramLabel = "PORTS", defaultValue = "",
            description = "Ports and ranges the application reaches without its proxy.")
    String outboundIgnored;

    @Option(names = "--subnets-to-ignore", paramLabel = "CIDRS", defaultValue = "",
            description = "IPv4 subnets (10.96.0.0/12,192.168.0.5/32) the application reaches without its proxy.")
    String subnetsIgnored;

    @Option(names = "--iptables", paramLabel = "PATH", defaultValue = "iptables",
            description = "The iptables binary, which chooses the backend (iptables-nft, iptables-legacy; default: ${DEFAULT-VALUE}).")
    String iptables;

    @Option(names = "--uninstall", description = "Remove meshj's chains and the jumps to them (and nothing else); succeeds when none are installed.")
    boolean uninstall;

    @Option(names = "--dry-run", description = "Print the iptables commands instead of running them (needs no privilege).")
    boolean dryRun;

    /** The name this option had before --dry-run; kept so that existing manifests and scripts still work. */
    @Option(names = "--simulate", hidden = true)
    boolean simulate;

    @Override
    public Integer call() throws InterruptedException {
        ProxyInit init;
        try {
            init = ProxyInit.builder().inboundPort(incoming).outboundPort(outgoing).proxyUid(uid)
                    .ignoreInbound(inboundIgnored).ignoreOutbound(outboundIgnored).ignoreSubnets(subnetsIgnored).build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (dryRun || simulate) {
            (uninstall ? ProxyInit.uninstallCommandLines(iptables) : init.commandLines(iptables)).forEach(out::println);
            out.flush();
            return 0;
        }
        try {
            if (uninstall) {
                List<String> ran = ProxyInit.uninstall(iptables);
                ran.forEach(out::println);
                if (ran.isEmpty()) {
                    err.println("meshj proxy-init: nothing to remove: no meshj chain in " + iptables + "'s nat table"
                            + (ProxyInit.otherBackendHasTables(iptables) ? " (iptables-legacy has tables: try --iptables iptables-legacy)" : ""));
                }
            } else {
                ProxyInit.Applied applied = init.install(iptables);
                applied.installed().forEach(out::println);
                if (!applied.removed().isEmpty()) {
                    err.println("meshj proxy-init: replaced the rules installed before (" + applied.removed().size() + " commands to remove them)");
                }
            }
        } catch (ProxyInit.IptablesException e) {
            err.println("meshj proxy-init: " + e.getMessage());
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
        return 0;
    }
}
