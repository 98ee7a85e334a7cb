package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshj.proxy.ProxyInit.IptablesException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyInitTest {

    @TempDir
    Path dir;

    private static List<String> lines(List<List<String>> commands) {
        return commands.stream().map(c -> String.join(" ", c)).toList();
    }

    @Test
    void theRulesAreLinkerdsRedirectsWithTheProxysOwnTrafficLoopbackAndSkippedSubnetsExempt() {
        assertThat(lines(ProxyInit.builder().ignoreInbound("8443").ignoreOutbound("5432,6379-6380")
                .ignoreSubnets("10.96.0.0/12, 192.168.7.9/32").build().commands())).containsExactly(
                "-t nat -N MESHJ_INBOUND",
                "-t nat -A MESHJ_INBOUND -p tcp -m multiport --dports 4190,4191,8443 -j RETURN -m comment --comment meshj/ignore-inbound-ports",
                "-t nat -A MESHJ_INBOUND -p tcp -j REDIRECT --to-ports 4143 -m comment --comment meshj/redirect-inbound",
                "-t nat -A PREROUTING -j MESHJ_INBOUND -m comment --comment meshj/install-inbound",
                "-t nat -N MESHJ_OUTPUT",
                "-t nat -A MESHJ_OUTPUT -m owner --uid-owner 2102 -j RETURN -m comment --comment meshj/ignore-proxy-user",
                "-t nat -A MESHJ_OUTPUT -o lo -j RETURN -m comment --comment meshj/ignore-loopback",
                "-t nat -A MESHJ_OUTPUT -d 10.96.0.0/12 -j RETURN -m comment --comment meshj/ignore-subnet",
                "-t nat -A MESHJ_OUTPUT -d 192.168.7.9/32 -j RETURN -m comment --comment meshj/ignore-subnet",
                "-t nat -A MESHJ_OUTPUT -p tcp -m multiport --dports 5432,6379:6380 -j RETURN -m comment --comment meshj/ignore-outbound-ports",
                "-t nat -A MESHJ_OUTPUT -p tcp -j REDIRECT --to-ports 4140 -m comment --comment meshj/redirect-outbound",
                "-t nat -A OUTPUT -j MESHJ_OUTPUT -m comment --comment meshj/install-outbound");
    }

    @Test
    void theTapAndAdminPortsAreAlwaysSkippedInboundAndNamingThemAgainChangesNothing() {
        List<String> byDefault = lines(ProxyInit.builder().build().commands());
        assertThat(byDefault).contains(
                "-t nat -A MESHJ_INBOUND -p tcp -m multiport --dports 4190,4191 -j RETURN -m comment --comment meshj/ignore-inbound-ports");
        assertThat(lines(ProxyInit.builder().ignoreInbound("4190,4191").build().commands())).isEqualTo(byDefault);
        assertThat(byDefault).noneMatch(l -> l.contains("ignore-outbound-ports") || l.contains("ignore-subnet"));
    }

    @Test
    void portsAndUidAreTheOnesGiven() {
        assertThat(lines(ProxyInit.builder().inboundPort(14143).outboundPort(14140).proxyUid(1234).build().commands()))
                .contains("-t nat -A MESHJ_INBOUND -p tcp -j REDIRECT --to-ports 14143 -m comment --comment meshj/redirect-inbound",
                        "-t nat -A MESHJ_OUTPUT -m owner --uid-owner 1234 -j RETURN -m comment --comment meshj/ignore-proxy-user",
                        "-t nat -A MESHJ_OUTPUT -p tcp -j REDIRECT --to-ports 14140 -m comment --comment meshj/redirect-outbound");
    }

    @Test
    void longPortListsAreSplitAtIptablesMultiportLimit() {
        String twenty = IntStream.rangeClosed(9000, 9019).mapToObj(Integer::toString).collect(Collectors.joining(","));
        List<String> ignores = lines(ProxyInit.builder().ignoreOutbound(twenty).build().commands()).stream()
                .filter(l -> l.contains("ignore-outbound-ports")).toList();
        assertThat(ignores).hasSize(2);
        assertThat(ignores.get(0)).contains("--dports 9000,9001,9002,9003,9004,9005,9006,9007,9008,9009,9010,9011,9012,9013,9014 ");
        assertThat(ignores.get(1)).contains("--dports 9015,9016,9017,9018,9019 ");
    }

    @Test
    void badPortsAreNamed() {
        assertThatThrownBy(() -> ProxyInit.builder().ignoreInbound("80,http")).hasMessage("inbound ports to ignore \"http\": not a port or a range of ports");
        assertThatThrownBy(() -> ProxyInit.builder().ignoreOutbound("70000")).hasMessage("outbound ports to ignore 70000: must be 1 to 65535");
        assertThatThrownBy(() -> ProxyInit.builder().ignoreOutbound("20-10")).hasMessageContaining("the range ends before it starts");
        assertThatThrownBy(() -> ProxyInit.builder().inboundPort(0)).hasMessage("incoming proxy port 0: must be 1 to 65535");
        assertThatThrownBy(() -> ProxyInit.builder().proxyUid(-1)).hasMessage("proxy uid -1: must not be negative");
    }

    @Test
    void subnetsAreValidatedAndNormalisedAsIptablesWouldListThem() {
        assertThat(lines(ProxyInit.builder().ignoreSubnets("10.1.2.3/8,0.0.0.0/0,,10.0.0.0/8").build().commands()).stream()
                .filter(l -> l.contains("ignore-subnet")).map(l -> l.split(" ")[5]).toList())
                .containsExactly("10.0.0.0/8", "0.0.0.0/0");
        assertThatThrownBy(() -> ProxyInit.builder().ignoreSubnets("10.0.0.1")).hasMessage(
                "subnets to ignore \"10.0.0.1\": not an IPv4 CIDR (address/prefix, e.g. 10.96.0.0/12)");
        assertThatThrownBy(() -> ProxyInit.builder().ignoreSubnets("kube-dns")).hasMessageContaining("not an IPv4 CIDR");
        assertThatThrownBy(() -> ProxyInit.builder().ignoreSubnets("10.0.0.0/33")).hasMessage(
                "subnets to ignore \"10.0.0.0/33\": the prefix must be 0 to 32");
        assertThatThrownBy(() -> ProxyInit.builder().ignoreSubnets("10.0.300.0/24")).hasMessage(
                "subnets to ignore \"10.0.300.0/24\": 300 is not an address byte (0 to 255)");
        assertThatThrownBy(() -> ProxyInit.builder().ignoreSubnets("fd00::/8")).hasMessage(
                "subnets to ignore \"fd00::/8\": IPv6 is not supported (the rules are IPv4 iptables rules)");
    }

    @Test
    void uninstallingFromAListingRemovesEveryJumpToMeshjAndItsChainsAndNothingElse() {
        String listing = String.join("\n",
                "-P PREROUTING ACCEPT",
                "-P INPUT ACCEPT",
                "-P OUTPUT ACCEPT",
                "-P POSTROUTING ACCEPT",
                "-N KUBE-SERVICES",
                "-N MESHJ_INBOUND",
                "-N MESHJ_OUTPUT",
                "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
                "-A PREROUTING -m comment --comment meshj/install-inbound -j MESHJ_INBOUND",
                "-A OUTPUT -m comment --comment meshj/install-outbound -j MESHJ_OUTPUT",
                "-A OUTPUT -p tcp -m comment --comment \"added by \\\"hand\\\"\" -j MESHJ_OUTPUT",
                "-A MESHJ_INBOUND -p tcp -m comment --comment meshj/redirect-inbound -j REDIRECT --to-ports 4143",
                "-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -j RETURN",
                "# Warning: iptables-legacy tables present, use iptables-legacy to see them",
                "");
        assertThat(ProxyInit.uninstallCommands(listing)).containsExactly(
                List.of("-t", "nat", "-D", "PREROUTING", "-m", "comment", "--comment", "meshj/install-inbound", "-j", "MESHJ_INBOUND"),
                List.of("-t", "nat", "-D", "OUTPUT", "-m", "comment", "--comment", "meshj/install-outbound", "-j", "MESHJ_OUTPUT"),
                List.of("-t", "nat", "-D", "OUTPUT", "-p", "tcp", "-m", "comment", "--comment", "added by \"hand\"", "-j", "MESHJ_OUTPUT"),
                List.of("-t", "nat", "-F", "MESHJ_INBOUND"),
                List.of("-t", "nat", "-F", "MESHJ_OUTPUT"),
                List.of("-t", "nat", "-X", "MESHJ_INBOUND"),
                List.of("-t", "nat", "-X", "MESHJ_OUTPUT"));
        assertThat(ProxyInit.uninstallCommands("-P PREROUTING ACCEPT\n-P OUTPUT ACCEPT\n")).isEmpty();
    }

    @Test
    void theDryRunsUninstallIsTheJumpsThenTheChains() {
        assertThat(lines(ProxyInit.uninstallCommands())).containsExactly(
                "-t nat -D PREROUTING -j MESHJ_INBOUND -m comment --comment meshj/install-inbound",
                "-t nat -D OUTPUT -j MESHJ_OUTPUT -m comment --comment meshj/install-outbound",
                "-t nat -F MESHJ_INBOUND",
                "-t nat -F MESHJ_OUTPUT",
                "-t nat -X MESHJ_INBOUND",
                "-t nat -X MESHJ_OUTPUT");
        assertThat(ProxyInit.builder().build().commandLines("/sbin/iptables-legacy").get(0))
                .isEqualTo("/sbin/iptables-legacy -t nat -N MESHJ_INBOUND");
    }

    @Test
    void listedWordsAreReadBackAsIptablesQuotedThem() {
        assertThat(IptablesRunner.words("-A X -m comment --comment \"a \\\"b\\\" c\\\\d\" -j Y"))
                .containsExactly("-A", "X", "-m", "comment", "--comment", "a \"b\" c\\d", "-j", "Y");
        assertThat(IptablesRunner.quote("a b")).isEqualTo("'a b'");
        assertThat(IptablesRunner.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(IptablesRunner.quote("--dports")).isEqualTo("--dports");
    }

    // --- running a (fake) iptables ---

    /** A fake iptables that logs its arguments, lists {@code listing} for -S and fails {@code failing} commands. */
    private Path fake(String listing, String failing, String failure, int status) throws IOException {
        Files.writeString(dir.resolve("listing"), listing);
        return script("iptables", String.join("\n",
                "#!/bin/sh",
                "echo \"$*\" >> '" + dir.resolve("log") + "'",
                "case \"$*\" in",
                "  *'-t nat -S'*) cat '" + dir.resolve("listing") + "' ;;",
                "  *'" + failing + "'*) echo '" + failure + "' >&2; exit " + status + " ;;",
                "esac",
                ""));
    }

    private Path script(String name, String text) throws IOException {
        Path p = Files.writeString(dir.resolve(name), text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private List<String> log() throws IOException {
        return Files.readAllLines(dir.resolve("log"));
    }

    @Test
    void installingReplacesWhatWasThereWaitingForTheXtablesLock() throws Exception {
        Path iptables = fake("-P OUTPUT ACCEPT\n-N MESHJ_OUTPUT\n-A OUTPUT -j MESHJ_OUTPUT\n", "no such command", "", 0);
        ProxyInit init = ProxyInit.builder().build();
        ProxyInit.Applied applied = init.install(iptables.toString());
        assertThat(applied.removed()).containsExactly(
                iptables + " -t nat -D OUTPUT -j MESHJ_OUTPUT", iptables + " -t nat -F MESHJ_OUTPUT", iptables + " -t nat -X MESHJ_OUTPUT");
        assertThat(applied.installed()).isEqualTo(init.commandLines(iptables.toString()));
        List<String> expected = new java.util.ArrayList<>(List.of("-w 10 -t nat -S", "-w 10 -t nat -D OUTPUT -j MESHJ_OUTPUT",
                "-w 10 -t nat -F MESHJ_OUTPUT", "-w 10 -t nat -X MESHJ_OUTPUT"));
        lines(init.commands()).forEach(c -> expected.add("-w 10 " + c));
        assertThat(log()).isEqualTo(expected);
    }

    @Test
    void uninstallingNothingRunsNothingButTheListing() throws Exception {
        Path iptables = fake("-P PREROUTING ACCEPT\n-P OUTPUT ACCEPT\n", "no such command", "", 0);
        assertThat(ProxyInit.uninstall(iptables.toString())).isEmpty();
        assertThat(log()).containsExactly("-w 10 -t nat -S");
    }

    @Test
    void aFailedInstallRemovesWhatItHadInstalledAndSaysWhyInOneLine() throws Exception {
        Path iptables = fake("-P OUTPUT ACCEPT\n", "-N MESHJ_OUTPUT", "iptables: Chain already exists.", 1);
        assertThatThrownBy(() -> ProxyInit.builder().build().install(iptables.toString()))
                .isInstanceOf(IptablesException.class)
                .hasMessage(iptables + " -t nat -N MESHJ_OUTPUT failed (exit 1): iptables: Chain already exists.");
        // the listing again, to take out the half-installed inbound rules (the fake lists none)
        assertThat(log()).endsWith("-w 10 -t nat -N MESHJ_OUTPUT", "-w 10 -t nat -S");
    }

    @Test
    void aMissingIptablesIsNamedWithWhatToDo() {
        assertThatThrownBy(() -> ProxyInit.uninstall(dir.resolve("nowhere/iptables").toString()))
                .isInstanceOf(IptablesException.class)
                .hasMessage(dir.resolve("nowhere/iptables") + " not found: install iptables, or pass --iptables PATH");
        assertThatThrownBy(() -> ProxyInit.builder().build().install("meshj-no-such-iptables"))
                .hasMessage("meshj-no-such-iptables not found: install iptables, or pass --iptables PATH");
    }

    @Test
    void aFileThatIsNotExecutableIsNamed() throws Exception {
        Path notExecutable = Files.writeString(dir.resolve("iptables"), "#!/bin/sh\n");
        assertThatThrownBy(() -> ProxyInit.uninstall(notExecutable.toString()))
                .hasMessage(notExecutable + " cannot be run: permission denied (not an executable file?); pass --iptables PATH");
    }

    @Test
    void lackingThePrivilegeIsOneLineWhicheverBackendSaysIt() throws Exception {
        for (String said : List.of(
                "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)",
                "Fatal: can't open lock file /run/xtables.lock: Permission denied",
                "iptables v1.8.9 (legacy): can't initialize iptables table `nat': Permission denied (you must be root)",
                "iptables: Operation not permitted.")) {
            Path iptables = script("iptables", "#!/bin/sh\necho \"" + said.replace("`", "\\`") + "\" >&2\nexit 4\n");
            assertThatThrownBy(() -> ProxyInit.builder().build().install(iptables.toString())).as(said)
                    .isInstanceOf(IptablesException.class)
                    .hasMessage("iptables: permission denied: run as root or with CAP_NET_ADMIN");
        }
    }

    @Test
    void anIptablesThatHangsIsGivenUpOn() throws Exception {
        Path iptables = script("iptables", "#!/bin/sh\nexec sleep 60\n");
        assertThatThrownBy(() -> new IptablesRunner(iptables.toString(), Duration.ofMillis(500)).list())
                .isInstanceOf(IptablesException.class)
                .hasMessage(iptables + " -t nat -S: did not finish within 500 ms");
    }

    @Test
    void theOtherBackendsTablesAreNoticed() throws Exception {
        Path iptables = script("iptables", "#!/bin/sh\necho '-P OUTPUT ACCEPT'\n"
                + "echo '# Warning: iptables-legacy tables present, use iptables-legacy to see them' >&2\n");
        assertThat(ProxyInit.otherBackendHasTables(iptables.toString())).isTrue();
        Path quiet = script("quiet", "#!/bin/sh\necho '-P OUTPUT ACCEPT'\n");
        assertThat(ProxyInit.otherBackendHasTables(quiet.toString())).isFalse();
    }
}
