package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshj proxy-init} as a user meets it: the rules printed by --dry-run, and one line on
 * standard error with a nonzero exit, never a stack trace, when iptables is missing or not permitted
 * (fake iptables scripts play the binary; {@code ProxyInitE2E} runs the real one in a pod).
 */
class ProxyInitCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int meshj(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private Path script(String text) throws IOException {
        Path p = Files.writeString(dir.resolve("iptables"), "#!/bin/sh\necho \"$*\" >> '" + dir.resolve("ran") + "'\n" + text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void dryRunPrintsTheRulesAndRunsNothing() throws IOException {
        Path iptables = script("exit 0\n");
        assertThat(meshj("proxy-init", "--dry-run", "--iptables", iptables.toString(), "--inbound-ports-to-ignore", "8443",
                "--outbound-ports-to-ignore", "5432", "--subnets-to-ignore", "10.96.0.0/12")).isZero();
        String i = iptables + " -t nat ";
        assertThat(out.toString()).isEqualTo(String.join("\n",
                i + "-N MESHJ_INBOUND",
                i + "-A MESHJ_INBOUND -p tcp -m multiport --dports 4190,4191,8443 -j RETURN -m comment --comment meshj/ignore-inbound-ports",
                i + "-A MESHJ_INBOUND -p tcp -j REDIRECT --to-ports 4143 -m comment --comment meshj/redirect-inbound",
                i + "-A PREROUTING -j MESHJ_INBOUND -m comment --comment meshj/install-inbound",
                i + "-N MESHJ_OUTPUT",
                i + "-A MESHJ_OUTPUT -m owner --uid-owner 2102 -j RETURN -m comment --comment meshj/ignore-proxy-user",
                i + "-A MESHJ_OUTPUT -o lo -j RETURN -m comment --comment meshj/ignore-loopback",
                i + "-A MESHJ_OUTPUT -d 10.96.0.0/12 -j RETURN -m comment --comment meshj/ignore-subnet",
                i + "-A MESHJ_OUTPUT -p tcp -m multiport --dports 5432 -j RETURN -m comment --comment meshj/ignore-outbound-ports",
                i + "-A MESHJ_OUTPUT -p tcp -j REDIRECT --to-ports 4140 -m comment --comment meshj/redirect-outbound",
                i + "-A OUTPUT -j MESHJ_OUTPUT -m comment --comment meshj/install-outbound",
                ""));
        assertThat(err.toString()).isEmpty();
        assertThat(dir.resolve("ran")).doesNotExist();
    }

    @Test
    void simulateIsAHiddenNameOfDryRun() {
        assertThat(meshj("proxy-init", "--dry-run")).isZero();
        String dryRun = out.toString();
        out.getBuffer().setLength(0);
        assertThat(meshj("proxy-init", "--simulate")).isZero();
        assertThat(out.toString()).isEqualTo(dryRun).startsWith("iptables -t nat -N MESHJ_INBOUND\n");
        out.getBuffer().setLength(0);
        assertThat(meshj("proxy-init", "--help")).isZero();
        assertThat(out.toString()).contains("--dry-run", "--uninstall", "--subnets-to-ignore").doesNotContain("--simulate");
    }

    @Test
    void dryRunOfUninstallPrintsTheRemoval() {
        assertThat(meshj("proxy-init", "--uninstall", "--dry-run")).isZero();
        assertThat(out.toString()).isEqualTo(String.join("\n",
                "iptables -t nat -D PREROUTING -j MESHJ_INBOUND -m comment --comment meshj/install-inbound",
                "iptables -t nat -D OUTPUT -j MESHJ_OUTPUT -m comment --comment meshj/install-outbound",
                "iptables -t nat -F MESHJ_INBOUND",
                "iptables -t nat -F MESHJ_OUTPUT",
                "iptables -t nat -X MESHJ_INBOUND",
                "iptables -t nat -X MESHJ_OUTPUT",
                ""));
    }

    @Test
    void aMissingIptablesIsOneLineAndExitsNonzero() {
        String missing = dir.resolve("sbin/iptables").toString();
        assertThat(meshj("proxy-init", "--iptables", missing)).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("meshj proxy-init: " + missing + " not found: install iptables, or pass --iptables PATH\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void lackingThePrivilegeIsOneLineAndExitsNonzero() throws IOException {
        Path iptables = script("echo 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)' >&2\nexit 4\n");
        assertThat(meshj("proxy-init", "--iptables", iptables.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("meshj proxy-init: iptables: permission denied: run as root or with CAP_NET_ADMIN\n");
        err.getBuffer().setLength(0);
        assertThat(meshj("proxy-init", "--uninstall", "--iptables", iptables.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("meshj proxy-init: iptables: permission denied: run as root or with CAP_NET_ADMIN\n");
    }

    @Test
    void uninstallingWhenNothingIsInstalledSucceedsAndSaysSo() throws IOException {
        Path iptables = script("echo '-P PREROUTING ACCEPT'\necho '-P OUTPUT ACCEPT'\n");
        assertThat(meshj("proxy-init", "--uninstall", "--iptables", iptables.toString())).isZero();
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).isEqualTo("meshj proxy-init: nothing to remove: no meshj chain in " + iptables + "'s nat table\n");
    }

    @Test
    void aBadSubnetIsAUsageError() {
        assertThat(meshj("proxy-init", "--dry-run", "--subnets-to-ignore", "10.0.0.0/8,10.0.0.1")).isEqualTo(2);
        assertThat(err.toString()).startsWith(
                "meshj: subnets to ignore \"10.0.0.1\": not an IPv4 CIDR (address/prefix, e.g. 10.96.0.0/12)\n");
        assertThat(out.toString()).isEmpty();
    }
}
