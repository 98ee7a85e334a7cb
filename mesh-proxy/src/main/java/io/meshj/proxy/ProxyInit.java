package io.meshj.proxy;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The iptables rules that send a pod's TCP traffic through its proxy, as Linkerd's proxy-init installs
 * them (run once, as root with NET_ADMIN, by the injected {@code meshj-init} container):
 * <ul>
 *   <li>inbound ({@code nat PREROUTING} → chain {@code MESHJ_INBOUND}): every TCP connection to the pod
 *       is redirected to the proxy's inbound port, except to the ports to ignore (the proxy's own tap
 *       and admin ports, and any the pod skips);
 *   <li>outbound ({@code nat OUTPUT} → chain {@code MESHJ_OUTPUT}): every TCP connection the pod opens
 *       is redirected to the proxy's outbound port, except the proxy's own (by its UID, or it would loop),
 *       connections over loopback, and the ports to ignore.
 * </ul>
 * Applying twice leaves one set of rules: the chains are emptied and the jumps to them removed first.
 */
public final class ProxyInit {

    static final String INBOUND_CHAIN = "MESHJ_INBOUND";
    static final String OUTBOUND_CHAIN = "MESHJ_OUTPUT";
    /** iptables' multiport match takes at most 15 ports (a range counts as two). */
    private static final int MULTIPORT_MAX = 15;

    private final int inboundPort;
    private final int outboundPort;
    private final int proxyUid;
    private final List<String> inboundIgnored;
    private final List<String> outboundIgnored;

    private ProxyInit(Builder b) {
        this.inboundPort = b.inboundPort;
        this.outboundPort = b.outboundPort;
        this.proxyUid = b.proxyUid;
        this.inboundIgnored = List.copyOf(b.inboundIgnored);
        this.outboundIgnored = List.copyOf(b.outboundIgnored);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Commands (iptables arguments) that remove an earlier installation; each may fail (nothing to remove). */
    public List<List<String>> resetCommands() {
        return List.of(
                // A rule is deleted by its whole specification, comment included.
                List.of("-t", "nat", "-D", "PREROUTING", "-j", INBOUND_CHAIN, "-m", "comment", "--comment", "meshj/install-inbound"),
                List.of("-t", "nat", "-D", "OUTPUT", "-j", OUTBOUND_CHAIN, "-m", "comment", "--comment", "meshj/install-outbound"),
                List.of("-t", "nat", "-F", INBOUND_CHAIN),
                List.of("-t", "nat", "-X", INBOUND_CHAIN),
                List.of("-t", "nat", "-F", OUTBOUND_CHAIN),
                List.of("-t", "nat", "-X", OUTBOUND_CHAIN));
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

    /**
     * Runs the reset and install commands with {@code iptables} (e.g. {@code [iptables]}, or
     * {@code [iptables-legacy]}), returning what was run.
     *
     * @throws IllegalStateException naming the command that failed, with iptables' own message
     */
    public List<String> apply(List<String> iptables) throws InterruptedException {
        List<String> ran = new ArrayList<>();
        for (List<String> c : resetCommands()) {
            run(iptables, c, false);
        }
        for (List<String> c : commands()) {
            run(iptables, c, true);
            ran.add(String.join(" ", iptables) + " " + String.join(" ", c));
        }
        return ran;
    }

    private static void run(List<String> iptables, List<String> args, boolean mustSucceed) throws InterruptedException {
        List<String> command = new ArrayList<>(iptables);
        command.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + iptables.get(0) + ": " + e.getMessage(), e);
        }
        String output;
        try {
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            output = e.getMessage();
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + ": did not finish within 30 s");
        }
        if (mustSucceed && p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + output);
        }
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

    public static final class Builder {
        private int inboundPort = 4143;
        private int outboundPort = 4140;
        private int proxyUid = 2102;
        private final Set<String> inboundIgnored = new LinkedHashSet<>();
        private final Set<String> outboundIgnored = new LinkedHashSet<>();

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

        /** Ports ("4190,4191", "6379-6380") whose inbound connections go straight to the application. */
        public Builder ignoreInbound(String ports) {
            inboundIgnored.addAll(parse(ports, "inbound ports to ignore"));
            return this;
        }

        /** Ports whose outbound connections bypass the proxy. */
        public Builder ignoreOutbound(String ports) {
            outboundIgnored.addAll(parse(ports, "outbound ports to ignore"));
            return this;
        }

        public ProxyInit build() {
            return new ProxyInit(this);
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
