package io.meshj.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.controller.testing.PodNetwork;
import io.meshj.controller.testing.PodNetwork.Result;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj proxy-init} in a real pod of a {@link PodNetwork}, with the real iptables: small HTTP
 * servers stand in for the proxy's ports (4143 inbound, 4140 outbound, 4190 tap, 4191 admin) and the
 * application, so each answer says where a connection went. Inbound connections to the pod reach 4143
 * except on the tap, admin and skipped ports; the pod's own connections reach 4140 except the proxy
 * user's, loopback ones, to a skipped port and to a skipped subnet. --dry-run changes nothing, a second
 * run leaves one set of rules, --uninstall restores direct traffic and removes only meshj's rules.
 */
@Tag("netns")
class ProxyInitE2E {

    private static final int PROXY_UID = 2102;

    /** A network per test: each changes the app pod's nat table. */
    @RegisterExtension
    final PodNetwork net = PodNetwork.builder()
            .pod("app", "app-svc.default")
            .pod("client", "client-svc.default")
            .pod("db", "db-svc.default")
            .build();

    @TempDir
    Path dir;

    private String app;
    private String client;
    private String db;

    @BeforeEach
    void servers() {
        app = net.address("app");
        client = net.address("client");
        db = net.address("db");
        net.httpServer("app", 8080, "app");
        net.httpServer("app", 8081, "app on a skipped port");
        net.httpServer("app", 4143, "proxy inbound");
        net.httpServer("app", 4140, "proxy outbound");
        net.httpServer("app", 4190, "proxy tap");
        net.httpServer("app", 4191, "proxy admin");
        net.httpServer("client", 9000, "client");
        net.httpServer("client", 5432, "client on a skipped port");
        net.httpServer("db", 9000, "db");
    }

    /** {@code meshj proxy-init} in the app pod, skipping inbound 8081, outbound 5432 and the db pod's address. */
    private Result proxyInit(String... more) {
        List<String> command = new ArrayList<>(List.of(MeshjProcess.launcher().toString(), "proxy-init",
                "--incoming-proxy-port", "4143", "--outgoing-proxy-port", "4140", "--proxy-uid", Integer.toString(PROXY_UID),
                "--inbound-ports-to-ignore", "8081", "--outbound-ports-to-ignore", "5432", "--subnets-to-ignore", db + "/32"));
        command.addAll(List.of(more));
        return net.exec("app", command.toArray(String[]::new));
    }

    /** The app pod's nat table without the lines that change by themselves (the date, packet counters). */
    private String natTable() {
        return net.exec("app", "iptables-save", "-t", "nat").check().stdout().lines()
                .filter(l -> !l.startsWith("#"))
                .map(l -> l.replaceAll("\\[\\d+:\\d+\\]", "[0:0]"))
                .collect(Collectors.joining("\n"));
    }

    private static long count(String table, String fragment) {
        return table.lines().filter(l -> l.contains(fragment)).count();
    }

    @Test
    void redirectsEverythingButWhatMustGoStraightThrough() {
        String pristine = natTable();
        Result dryRun = proxyInit("--dry-run").check();
        assertThat(natTable()).as("--dry-run changes nothing").isEqualTo(pristine);
        assertThat(dryRun.stdout()).startsWith("iptables -t nat -N MESHJ_INBOUND\n").contains("-d " + db + "/32 -j RETURN");

        Result first = proxyInit().check();
        String installed = natTable();
        Result second = proxyInit().check();
        assertThat(first.stdout()).as("installing prints what --dry-run printed").isEqualTo(dryRun.stdout());
        assertThat(second.stdout()).isEqualTo(dryRun.stdout());
        assertThat(second.stderr()).isEqualTo("meshj proxy-init: replaced the rules installed before (6 commands to remove them)\n");
        String rules = natTable();
        assertThat(rules).as("a second run leaves one set of rules").isEqualTo(installed);
        assertThat(count(rules, "-A PREROUTING")).isEqualTo(1);
        assertThat(count(rules, "-A OUTPUT")).isEqualTo(1);
        assertThat(count(rules, ":MESHJ_INBOUND")).isEqualTo(1);
        assertThat(count(rules, ":MESHJ_OUTPUT")).isEqualTo(1);
        assertThat(count(rules, "REDIRECT --to-ports 4143")).isEqualTo(1);
        assertThat(count(rules, "REDIRECT --to-ports 4140")).isEqualTo(1);

        // inbound, from another pod
        assertThat(net.curl("client", "http://" + app + ":8080/")).isEqualTo("proxy inbound");
        assertThat(net.curl("client", "http://app-svc.default:8080/")).isEqualTo("proxy inbound");
        assertThat(net.curl("client", "http://app:8081/")).as("a skipped inbound port").isEqualTo("app on a skipped port");
        assertThat(net.curl("client", "http://app:4190/")).as("the tap port").isEqualTo("proxy tap");
        assertThat(net.curl("client", "http://app:4191/")).as("the admin port").isEqualTo("proxy admin");

        // outbound, from the pod
        assertThat(net.curl("app", "http://" + client + ":9000/")).isEqualTo("proxy outbound");
        assertThat(net.curl("app", "http://client-svc.default:9000/")).isEqualTo("proxy outbound");
        assertThat(net.curlAs(PROXY_UID, "app", "http://client:9000/")).as("the proxy's own").isEqualTo("client");
        assertThat(net.curl("app", "http://client:5432/")).as("a skipped outbound port").isEqualTo("client on a skipped port");
        assertThat(net.curl("app", "http://db-svc.default:9000/")).as("a skipped subnet").isEqualTo("db");
        assertThat(net.curl("app", "http://127.0.0.1:8080/")).as("loopback").isEqualTo("app");
        // the pod's own address is routed over lo, so it is loopback too
        assertThat(net.curl("app", "http://" + app + ":8080/")).isEqualTo("app");
        // and a pod without the rules is untouched
        assertThat(net.curl("db", "http://client:9000/")).isEqualTo("client");
    }

    @Test
    void uninstallingRestoresDirectTrafficAndRemovesOnlyMeshjsRules() {
        // someone else's rule, which must survive
        net.exec("app", "iptables", "-t", "nat", "-A", "OUTPUT", "-p", "udp", "--dport", "53", "-j", "RETURN",
                "-m", "comment", "--comment", "not meshj's").check();
        String before = natTable();
        proxyInit().check();
        // and a jump to meshj's chain added by hand, which must go with the chain
        net.exec("app", "iptables", "-t", "nat", "-I", "OUTPUT", "1", "-p", "tcp", "--dport", "7000",
                "-m", "comment", "--comment", "a jump added by hand", "-j", "MESHJ_OUTPUT").check();
        assertThat(net.curl("client", "http://app:8080/")).isEqualTo("proxy inbound");
        assertThat(net.curl("app", "http://client:9000/")).isEqualTo("proxy outbound");

        Result removed = proxyInit("--uninstall").check();
        assertThat(removed.stdout().lines()).containsExactly(
                "iptables -t nat -D PREROUTING -m comment --comment meshj/install-inbound -j MESHJ_INBOUND",
                "iptables -t nat -D OUTPUT -p tcp -m tcp --dport 7000 -m comment --comment 'a jump added by hand' -j MESHJ_OUTPUT",
                "iptables -t nat -D OUTPUT -m comment --comment meshj/install-outbound -j MESHJ_OUTPUT",
                "iptables -t nat -F MESHJ_INBOUND",
                "iptables -t nat -F MESHJ_OUTPUT",
                "iptables -t nat -X MESHJ_INBOUND",
                "iptables -t nat -X MESHJ_OUTPUT");
        String after = natTable();
        assertThat(after).isEqualTo(before).doesNotContain("MESHJ").contains("not meshj");
        assertThat(net.curl("client", "http://app:8080/")).isEqualTo("app");
        assertThat(net.curl("app", "http://client:9000/")).isEqualTo("client");

        Result again = proxyInit("--uninstall").check();
        assertThat(again.stdout()).isEmpty();
        assertThat(again.stderr()).isEqualTo("meshj proxy-init: nothing to remove: no meshj chain in iptables's nat table\n");
        assertThat(natTable()).isEqualTo(before);
    }

    @Test
    void theIptablesOptionChoosesTheBackend() {
        Assumptions.assumeTrue(net.exec("app", "sh", "-c", "command -v iptables-legacy").exitCode() == 0,
                "iptables-legacy is not installed");
        String nft = natTable();
        Result installed = proxyInit("--iptables", "iptables-legacy").check();
        assertThat(installed.stdout()).startsWith("iptables-legacy -t nat -N MESHJ_INBOUND\n");
        assertThat(net.exec("app", "iptables-legacy-save", "-t", "nat").check().stdout()).contains(":MESHJ_INBOUND", ":MESHJ_OUTPUT");
        assertThat(net.curl("client", "http://app:8080/")).isEqualTo("proxy inbound");

        // Looking in the other backend finds nothing, and says where to look.
        Result elsewhere = proxyInit("--uninstall", "--iptables", "iptables-nft").check();
        assertThat(elsewhere.stderr()).isEqualTo("meshj proxy-init: nothing to remove: no meshj chain in iptables-nft's nat table"
                + " (iptables-legacy has tables: try --iptables iptables-legacy)\n");

        proxyInit("--uninstall", "--iptables", "iptables-legacy").check();
        assertThat(net.exec("app", "iptables-legacy-save", "-t", "nat").check().stdout()).doesNotContain("MESHJ");
        assertThat(net.curl("client", "http://app:8080/")).isEqualTo("app");
        assertThat(natTable()).isEqualTo(nft);
    }

    @Test
    void withoutThePrivilegeOrTheBinaryItSaysSoInOneLine() throws IOException {
        String pristine = natTable();
        // The real iptables, run as the proxy's user: what a pod without NET_ADMIN gets.
        Path unprivileged = Files.writeString(dir.resolve("iptables-unprivileged"),
                "#!/bin/sh\nexec setpriv --reuid=" + PROXY_UID + " --regid=" + PROXY_UID + " --clear-groups iptables \"$@\"\n");
        Files.setPosixFilePermissions(unprivileged, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String[] mode : new String[][] {{}, {"--uninstall"}}) {
            List<String> args = new ArrayList<>(List.of("--iptables", unprivileged.toString()));
            args.addAll(List.of(mode));
            Result r = proxyInit(args.toArray(String[]::new));
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.stderr()).isEqualTo("meshj proxy-init: iptables: permission denied: run as root or with CAP_NET_ADMIN\n");
            assertThat(r.stdout()).isEmpty();
        }

        // No iptables on the PATH (java and the launcher's tools still are).
        String path = Arrays.stream(System.getenv("PATH").split(File.pathSeparator))
                .filter(d -> !Files.exists(Path.of(d, "iptables"))).collect(Collectors.joining(File.pathSeparator));
        Result missing = net.exec("app", "env", "PATH=" + path, MeshjProcess.launcher().toString(), "proxy-init");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.stderr()).isEqualTo("meshj proxy-init: iptables not found: install iptables, or pass --iptables PATH\n");
        assertThat(natTable()).isEqualTo(pristine);
    }
}
