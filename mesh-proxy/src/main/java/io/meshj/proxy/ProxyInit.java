package io.meshj.proxy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The iptables rules that send a pod's TCP traffic through its proxy, as Linkerd's proxy-init installs
 * them (run once, as root with NET_ADMIN, by the injected {@code meshj-init} container), all in the
 * {@code nat} table and in chains of their own so that they can be told apart and removed:
 * <ul>
 *   <li>inbound ({@code PREROUTING} → {@code MESHJ_INBOUND}): every TCP connection to the pod is
 *       redirected to the proxy's inbound port (4143), except to the proxy's own tap and admin ports
 *       (4190, 4191: always, or the controller could not reach them) and to the inbound ports to ignore;
 *   <li>outbound ({@code OUTPUT} → {@code MESHJ_OUTPUT}): every TCP connection the pod opens is
 *       redirected to the proxy's outbound port (4140), except the proxy's own (by its UID, or they would
 *       loop back into it), connections over loopback, to the subnets to ignore and to the outbound ports
 *       to ignore.
 * </ul>
 * {@link #install} first removes whatever an earlier run installed, so that running it twice leaves one
 * set of rules; {@link #uninstall} removes meshj's chains and every jump to them, and nothing else.
 * Both run the {@code iptables} binary they are given (so {@code iptables-legacy} or
 * {@code iptables-nft} choose the backend), each command with {@code -w 10} to wait for the legacy
 * backend's lock rather than fail when another iptables runs at the same time.
 */
public final class ProxyInit {

    public static final String INBOUND_CHAIN = "MESHJ_INBOUND";
    public static final String OUTBOUND_CHAIN = "MESHJ_OUTPUT";
    /** The proxy's tap and admin ports: their connections always reach the proxy itself, never the redirect. */
    public static final List<String> PROXY_PORTS = List.of("4190", "4191");
    /** iptables' multiport match takes at most 15 ports (a range counts as two). */
    private static final int MULTIPORT_MAX = 15;

    private final int inboundPort;
    private final int outboundPort;
    private final int proxyUid;
    private final List<String> inboundIgnored;
    private final List<String> outboundIgnored;
    private final List<String> subnetsIgnored;

    private ProxyInit(Builder b) {
        this.inboundPort = b.inboundPort;
        this.outboundPort = b.outboundPort;
        this.proxyUid = b.proxyUid;
        this.inboundIgnored = List.copyOf(b.inboundIgnored);
        this.outboundIgnored = List.copyOf(b.outboundIgnored);
        this.subnetsIgnored = List.copyOf(b.subnetsIgnored);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Commands (iptables arguments) that install the rules, in order; each must succeed. */
    public List<List<String>> commands() {
        List<List<String>> out = new ArrayList<>();
        out.add(List.of("-t", "nat", "-N", INBOUND_CHAIN));
        for (String ports : multiport(inboundIgnored)) {
            out.add(List.of("-t", "nat", "-A", INBOUND_CHAIN, "-p", "tcp", "-m", "multiport", "--dports", ports,
                    "-j", "RETURN", "-m", "comment", "--comment", "meshj/ignore-inbound-ports"));
        }
        out.add(List.of("-t", "nat", "-A", INBOUND_CHAIN, "-p", "tcp", "-j", "REDIRECT", "--to-ports",
                Integer.toString(inboundPort), "-m", "comment", "--comment", "meshj/redirect-inbound"));
        out.add(List.of("-t", "nat", "-A", "PREROUTING", "-j", INBOUND_CHAIN, "-m", "comment", "--comment",
                "meshj/install-inbound"));
        out.add(List.of("-t", "nat", "-N", OUTBOUND_CHAIN));
        out.add(List.of("-t", "nat", "-A", OUTBOUND_CHAIN, "-m", "owner", "--uid-owner", Integer.toString(proxyUid),
                "-j", "RETURN", "-m", "comment", "--comment", "meshj/ignore-proxy-user"));
        out.add(List.of("-t", "nat", "-A", OUTBOUND_CHAIN, "-o", "lo", "-j", "RETURN", "-m", "comment", "--comment",
                "meshj/ignore-loopback"));
        for (String subnet : subnetsIgnored) {
            out.add(List.of("-t", "nat", "-A", OUTBOUND_CHAIN, "-d", subnet, "-j", "RETURN", "-m", "comment",
                    "--comment", "meshj/ignore-subnet"));
        }
        for (String ports : multiport(outboundIgnored)) {
            out.add(List.of("-t", "nat", "-A", OUTBOUND_CHAIN, "-p", "tcp", "-m", "multiport", "--dports", ports,
                    "-j", "RETURN", "-m", "comment", "--comment", "meshj/ignore-outbound-ports"));
        }
        out.add(List.of("-t", "nat", "-A", OUTBOUND_CHAIN, "-p", "tcp", "-j", "REDIRECT", "--to-ports",
                Integer.toString(outboundPort), "-m", "comment", "--comment", "meshj/redirect-outbound"));
        out.add(List.of("-t", "nat", "-A", "OUTPUT", "-j", OUTBOUND_CHAIN, "-m", "comment", "--comment",
                "meshj/install-outbound"));
        return out;
    }

    /** {@link #commands()} as the shell lines that run them with {@code iptables}; what {@code --dry-run} prints. */
    public List<String> commandLines(String iptables) {
        IptablesRunner runner = new IptablesRunner(iptables);
        return commands().stream().map(runner::line).toList();
    }

    /** {@link #uninstallCommands()} as shell lines. */
    public static List<String> uninstallCommandLines(String iptables) {
        IptablesRunner runner = new IptablesRunner(iptables);
        return uninstallCommands().stream().map(runner::line).toList();
    }

    /**
     * What {@link #uninstall} runs when the rules are exactly as this version installs them: for
     * {@code --dry-run}, which cannot read the table (that needs root). The real removal reads the
     * table first and also removes jumps that differ (written by another version, or by hand).
     */
    public static List<List<String>> uninstallCommands() {
        return List.of(
                List.of("-t", "nat", "-D", "PREROUTING", "-j", INBOUND_CHAIN, "-m", "comment", "--comment", "meshj/install-inbound"),
                List.of("-t", "nat", "-D", "OUTPUT", "-j", OUTBOUND_CHAIN, "-m", "comment", "--comment", "meshj/install-outbound"),
                List.of("-t", "nat", "-F", INBOUND_CHAIN),
                List.of("-t", "nat", "-F", OUTBOUND_CHAIN),
                List.of("-t", "nat", "-X", INBOUND_CHAIN),
                List.of("-t", "nat", "-X", OUTBOUND_CHAIN));
    }

    /**
     * The commands that remove meshj's rules from a nat table listed by {@code iptables -t nat -S}:
     * every jump to a meshj chain, from whichever chain (deleted by its own specification, as listed),
     * then meshj's chains, emptied and deleted. Nothing else in the table is touched; an empty list
     * means nothing is installed.
     */
    static List<List<String>> uninstallCommands(String listing) {
        List<List<String>> jumps = new ArrayList<>();
        List<String> chains = new ArrayList<>();
        for (String line : listing.split("\n")) {
            List<String> words = IptablesRunner.words(line.strip());
            if (words.size() == 2 && words.get(0).equals("-N") && isMeshjChain(words.get(1))) {
                chains.add(words.get(1));
            } else if (words.size() > 2 && words.get(0).equals("-A") && jumpsToMeshj(words)) {
                List<String> delete = new ArrayList<>(List.of("-t", "nat", "-D"));
                delete.addAll(words.subList(1, words.size()));
                jumps.add(delete);
            }
        }
        List<List<String>> out = new ArrayList<>(jumps);
        for (String chain : chains) {
            out.add(List.of("-t", "nat", "-F", chain));
        }
        for (String chain : chains) {
            out.add(List.of("-t", "nat", "-X", chain));
        }
        return out;
    }

    private static boolean isMeshjChain(String chain) {
        return chain.equals(INBOUND_CHAIN) || chain.equals(OUTBOUND_CHAIN);
    }

    private static boolean jumpsToMeshj(List<String> rule) {
        for (int i = 1; i + 1 < rule.size(); i++) {
            String w = rule.get(i);
            if ((w.equals("-j") || w.equals("-g") || w.equals("--jump") || w.equals("--goto")) && isMeshjChain(rule.get(i + 1))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Removes any earlier installation, then installs the rules with {@code iptables} (a name on the
     * PATH or a path). When a command fails, what it had installed so far is removed again, so a pod
     * is never left half redirected.
     *
     * @return the commands run, as shell lines (the same lines {@code --dry-run} prints), and those that
     *     removed the earlier installation
     * @throws IptablesException with a one-line message: iptables missing, not permitted, or the
     *     command that failed with iptables' own words
     */
    public Applied install(String iptables) throws InterruptedException {
        IptablesRunner runner = new IptablesRunner(iptables);
        List<String> removed = remove(runner);
        List<String> added = new ArrayList<>();
        try {
            for (List<String> c : commands()) {
                runner.run(c);
                added.add(runner.line(c));
            }
        } catch (IptablesException e) {
            try {
                remove(runner);
            } catch (IptablesException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        return new Applied(removed, added);
    }

    /**
     * Removes meshj's chains and every jump to them with {@code iptables}, and nothing else; succeeds,
     * running nothing, when nothing is installed.
     *
     * @return the commands run, as shell lines (empty when nothing was installed)
     * @throws IptablesException with a one-line message
     */
    public static List<String> uninstall(String iptables) throws InterruptedException {
        return remove(new IptablesRunner(iptables));
    }

    /**
     * Whether {@code iptables -t nat -S} warned that the other backend holds rules (iptables-nft says
     * so when iptables-legacy tables exist): a hint when meshj's chains are not where one looks.
     */
    public static boolean otherBackendHasTables(String iptables) throws InterruptedException {
        return new IptablesRunner(iptables).list().warnings().contains("iptables-legacy tables present");
    }

    private static List<String> remove(IptablesRunner runner) throws InterruptedException {
        List<String> ran = new ArrayList<>();
        for (List<String> c : uninstallCommands(runner.list().rules())) {
            runner.run(c);
            ran.add(runner.line(c));
        }
        return ran;
    }

    /** The ports in groups iptables' multiport match takes ("a:b" ranges count as two). */
    private static List<String> multiport(List<String> ports) {
        List<String> groups = new ArrayList<>();
        StringBuilder group = new StringBuilder();
        int used = 0;
        for (String p : ports) {
            int cost = p.indexOf(':') >= 0 ? 2 : 1;
            if (used + cost > MULTIPORT_MAX) {
                groups.add(group.toString());
                group.setLength(0);
                used = 0;
            }
            group.append(group.length() == 0 ? "" : ",").append(p);
            used += cost;
        }
        if (group.length() > 0) {
            groups.add(group.toString());
        }
        return groups;
    }

    /** What {@link #install} ran: the removal of an earlier installation (often empty) and the new rules. */
    public record Applied(List<String> removed, List<String> installed) {
        public Applied {
            removed = List.copyOf(removed);
            installed = List.copyOf(installed);
        }
    }

    /** iptables could not be run, was not permitted, or refused a command; the message is one line for the user. */
    public static final class IptablesException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public IptablesException(String message) {
            super(message);
        }
    }

    public static final class Builder {
        private static final Pattern IPV4_CIDR = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

        private int inboundPort = 4143;
        private int outboundPort = 4140;
        private int proxyUid = 2102;
        private final Set<String> inboundIgnored = new LinkedHashSet<>(PROXY_PORTS);
        private final Set<String> outboundIgnored = new LinkedHashSet<>();
        private final Set<String> subnetsIgnored = new LinkedHashSet<>();

        private Builder() {
        }

        public Builder inboundPort(int port) {
            this.inboundPort = port(port, "incoming proxy port");
            return this;
        }

        public Builder outboundPort(int port) {
            this.outboundPort = port(port, "outgoing proxy port");
            return this;
        }

        public Builder proxyUid(int uid) {
            if (uid < 0) {
                throw new IllegalArgumentException("proxy uid " + uid + ": must not be negative");
            }
            this.proxyUid = uid;
            return this;
        }

        /**
         * Ports ("8443", "6379-6380") whose inbound connections go straight to the application, besides
         * the proxy's tap and admin ports, which always do.
         */
        public Builder ignoreInbound(String ports) {
            inboundIgnored.addAll(parse(ports, "inbound ports to ignore"));
            return this;
        }

        /** Ports whose outbound connections bypass the proxy. */
        public Builder ignoreOutbound(String ports) {
            outboundIgnored.addAll(parse(ports, "outbound ports to ignore"));
            return this;
        }

        /**
         * IPv4 subnets ("10.96.0.0/12,192.168.1.5/32") the pod reaches without its proxy. Host bits are
         * cleared (10.1.2.3/8 is 10.0.0.0/8), as iptables itself would, so the rules print as listed.
         */
        public Builder ignoreSubnets(String cidrs) {
            for (String part : requireNonNull(cidrs, "subnets to ignore").split(",")) {
                String s = part.strip();
                if (!s.isEmpty()) {
                    subnetsIgnored.add(cidr(s));
                }
            }
            return this;
        }

        public ProxyInit build() {
            return new ProxyInit(this);
        }

        private static String cidr(String s) {
            if (s.indexOf(':') >= 0) {
                throw new IllegalArgumentException("subnets to ignore \"" + s + "\": IPv6 is not supported (the rules are IPv4 iptables rules)");
            }
            Matcher m = IPV4_CIDR.matcher(s);
            if (!m.matches()) {
                throw new IllegalArgumentException("subnets to ignore \"" + s + "\": not an IPv4 CIDR (address/prefix, e.g. 10.96.0.0/12)");
            }
            long address = 0;
            for (int i = 1; i <= 4; i++) {
                int octet = Integer.parseInt(m.group(i));
                if (octet > 255) {
                    throw new IllegalArgumentException("subnets to ignore \"" + s + "\": " + octet + " is not an address byte (0 to 255)");
                }
                address = address << 8 | octet;
            }
            int prefix = Integer.parseInt(m.group(5));
            if (prefix > 32) {
                throw new IllegalArgumentException("subnets to ignore \"" + s + "\": the prefix must be 0 to 32");
            }
            long network = prefix == 0 ? 0 : address & (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
            return (network >> 24 & 255) + "." + (network >> 16 & 255) + "." + (network >> 8 & 255) + "." + (network & 255) + "/" + prefix;
        }

        private static int port(int port, String what) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException(what + " " + port + ": must be 1 to 65535");
            }
            return port;
        }

        /** A list of ports and ranges in iptables' form (ranges as a:b). */
        static List<String> parse(String ports, String what) {
            List<String> out = new ArrayList<>();
            for (String part : requireNonNull(ports, what).split(",")) {
                String p = part.strip();
                if (p.isEmpty()) {
                    continue;
                }
                String[] range = p.split("[-:]", -1);
                try {
                    if (range.length == 1) {
                        out.add(Integer.toString(port(Integer.parseInt(range[0]), what)));
                    } else if (range.length == 2) {
                        int from = port(Integer.parseInt(range[0].strip()), what);
                        int to = port(Integer.parseInt(range[1].strip()), what);
                        if (to < from) {
                            throw new IllegalArgumentException(what + " " + p + ": the range ends before it starts");
                        }
                        out.add(from + ":" + to);
                    } else {
                        throw new NumberFormatException(p);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(what + " \"" + p + "\": not a port or a range of ports");
                }
            }
            return out;
        }
    }
}
