package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.MeshVersion;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void versionPrintsClientAndServerLines() {
        assertThat(run("version")).isZero();
        assertThat(out.toString()).isEqualTo("Client version: " + MeshVersion.current() + "\n"
                + "Server version: unavailable\n");
        assertThat(MeshVersion.current()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }

    @Test
    void versionClientShort() {
        assertThat(run("version", "--client", "--short")).isZero();
        assertThat(out.toString()).isEqualTo(MeshVersion.current() + "\n");
    }

    @Test
    void noArgumentsPrintsHelpListingCommands() {
        assertThat(run()).isZero();
        assertThat(out.toString()).contains("Usage: meshj").contains("version").contains("help");
    }

    @Test
    void proxyHelpListsTheProxyOptions() {
        // ProxyMain prints its help on System.out; the exit code is what the CLI contract fixes here.
        assertThat(run("proxy", "--help")).isZero();
    }

    @Test
    void proxyRejectsBadOptionsWithExitCode2() {
        assertThat(run("proxy", "--opaque-ports", "x")).isEqualTo(2);
    }

    @Test
    void controllerHelpListsItsOptions() {
        assertThat(run("controller", "--help")).isZero();
        assertThat(out.toString()).contains("--destination-listen").contains("--static").contains("--data-dir");
    }

    @Test
    void controllerRejectsABadListenAddressWithExitCode2() {
        assertThat(run("controller", "--destination-listen", "127.0.0.1")).isEqualTo(2);
        assertThat(err.toString()).contains("--destination-listen 127.0.0.1: a port is required").doesNotContain("\tat ");
    }

    @Test
    void controllerRejectsAMissingStaticFileWithExitCode2(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String missing = dir.resolve("nope.yml").toString();
        assertThat(run("controller", "--data-dir", dir.toString(), "--static", missing)).isEqualTo(2);
        assertThat(err.toString()).contains("--static " + missing + ": no such file").doesNotContain("\tat ");
    }

    @Test
    void controllerRejectsAMissingProfilesDirectoryWithExitCode2(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String missing = dir.resolve("nope").toString();
        assertThat(run("controller", "--local", "--data-dir", dir.toString(), "--profiles", missing)).isEqualTo(2);
        assertThat(err.toString()).contains("--profiles " + missing + ": no such directory").doesNotContain("\tat ");
        String file = java.nio.file.Files.writeString(dir.resolve("web.yml"), "").toString();
        assertThat(run("controller", "--local", "--data-dir", dir.toString(), "--profiles", file)).isEqualTo(2);
        assertThat(err.toString()).contains("--profiles " + file + ": not a directory");
    }

    @Test
    void controllerRejectsTwoBackendsOrAMissingKubeconfig(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String missing = dir.resolve("kubeconfig").toString();
        assertThat(run("controller", "--local", "--kubeconfig", missing)).isEqualTo(2);
        assertThat(err.toString()).contains("--local and --kubeconfig are two backends: give one");
        assertThat(run("controller", "--kubeconfig", missing, "--data-dir", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--kubeconfig " + missing + ": no such file").doesNotContain("\tat ");
    }

    @Test
    void identityInitWritesTheIssuerOnceAndTokensProveIdentities(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertThat(run("identity", "init", "--data-dir", dir.toString())).isZero();
        java.nio.file.Path store = dir.resolve("identity");
        assertThat(store.resolve("trust-anchor.pem")).content().startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(java.nio.file.Files.getPosixFilePermissions(store.resolve("issuer-key.pem")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(run("identity", "init", "--data-dir", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("already holds an identity issuer");

        out.getBuffer().setLength(0);
        assertThat(run("identity", "token", "--sa", "web", "-n", "emojivoto", "--ttl", "1h", "--data-dir", dir.toString()))
                .isZero();
        String token = out.toString().trim();
        new io.meshj.controller.identity.LocalIdentityStore(dir).tokens(java.time.Clock.systemUTC())
                .verify(token, new io.meshj.tls.WorkloadIdentity("web", "emojivoto", "cluster.local"));

        assertThat(run("identity", "token", "--sa", "Web", "--data-dir", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("service account \"Web\" is not a lower-case DNS label");
    }

    @Test
    void aCertificateLifetimeOutOfRangeIsAUsageError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        assertThat(run("controller", "--local", "--data-dir", dir.toString(), "--destination-listen", "127.0.0.1:0",
                "--identity-listen", "127.0.0.1:0", "--certificate-lifetime", "5s")).isEqualTo(2);
        assertThat(err.toString()).contains("--certificate-lifetime 5s: must be between 10s and 30d").doesNotContain("\tat ");
    }

    @Test
    void identityOfAnUnknownWorkloadSaysWhereItLooked(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        assertThat(run("identity", "web-1", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("no local registry at " + dir.resolve("registry.json")).doesNotContain("\tat ");

        java.nio.file.Files.writeString(dir.resolve("registry.json"), "{\"version\":1,\"registrations\":[]}");
        err.getBuffer().setLength(0);
        assertThat(run("identity", "web-1", "-n", "emojivoto", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("no workload web-1 in namespace emojivoto is registered");

        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        err.getBuffer().setLength(0);
        assertThat(run("identity", "127.0.0.1:" + closed)).isEqualTo(1);
        assertThat(err.toString()).contains("cannot reach the admin port of 127.0.0.1:" + closed);
    }

    @Test
    void unknownCommandIsAUsageErrorNamingIt() {
        assertThat(run("bogus")).isEqualTo(2);
        assertThat(err.toString()).contains("Unmatched argument at index 0: 'bogus'").doesNotContain("Exception");
    }

    @Test
    void unknownOptionIsAUsageErrorNamingIt() {
        assertThat(run("version", "--nope")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--nope'").doesNotContain("\tat ");
    }

    @Test
    void aNamespaceBeforeTheCommandIsReadByTheCommand() {
        assertThat(Main.namespaceAfterCommand(new String[] {"-n", "emojivoto", "stat", "deploy"}))
                .containsExactly("stat", "-n", "emojivoto", "deploy");
        assertThat(Main.namespaceAfterCommand(new String[] {"--namespace", "x", "identity", "token", "--sa", "web"}))
                .containsExactly("identity", "token", "--namespace", "x", "--sa", "web");
        assertThat(Main.namespaceAfterCommand(new String[] {"stat", "-n", "x", "deploy"}))
                .containsExactly("stat", "-n", "x", "deploy");
        // The command reads it: the only complaint is the option it still lacks, not an unknown -n.
        assertThat(run("-n", "emojivoto", "identity", "token")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--sa").doesNotContain("Unknown");
    }

    @Test
    void demoIsACommand() {
        assertThat(run("demo", "--help")).isZero();
        assertThat(out.toString()).contains("--detach").contains("stop");
    }
}
