package io.meshj.controller.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.meshj.controller.testing.PodNetwork.PodProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** The fixture itself: pods reach each other by name and address and nothing else, and nothing outlives it. */
@Tag("netns")
class PodNetworkE2E {

    @RegisterExtension
    static final PodNetwork net = PodNetwork.builder()
            .pod("controller", "meshj-controller.meshj")
            .pod("web", "web-svc.default", "web-svc.default.svc.cluster.local")
            .pod("client")
            .build();

    private static final List<String> PODS = List.of("controller", "web", "client");

    @TempDir
    Path dir;

    @BeforeAll
    static void servers() {
        // Started before any test: they live as long as the network.
        for (String pod : PODS) {
            net.httpServer(pod, 8080, "I am " + pod);
        }
    }

    @Test
    void podsReachEachOtherByNameAndByAddress() {
        for (String from : PODS) {
            for (String to : PODS) {
                assertThat(net.curl(from, "http://" + to + ":8080/")).as(from + " -> " + to).isEqualTo("I am " + to);
                assertThat(net.curl(from, "http://" + net.address(to) + ":8080/")).as(from + " -> " + net.address(to))
                        .isEqualTo("I am " + to);
            }
        }
        assertThat(net.curl("client", "http://web-svc.default:8080/")).isEqualTo("I am web");
        assertThat(net.curl("client", "http://web-svc.default.svc.cluster.local:8080/")).isEqualTo("I am web");
        assertThat(net.curl("web", "http://meshj-controller.meshj:8080/")).isEqualTo("I am controller");
        assertThat(net.address("web")).startsWith(net.subnet().replace("0/24", ""));
    }

    @Test
    void eachPodSeesItsOwnHostsFileBindMountedOverEtcHosts() throws IOException {
        String web = net.address("web");
        assertThat(net.exec("client", "cat", "/etc/hosts").check().stdout())
                .contains(web + "\tweb web-svc.default web-svc.default.svc.cluster.local\n", "127.0.0.1\tlocalhost\n");
        assertThat(net.exec("client", "getent", "hosts", "web-svc.default.svc.cluster.local").check().stdout()).startsWith(web + " ");
        assertThat(net.exec("client", "python3", "-c", "import socket; print(socket.gethostbyname('web-svc.default'))")
                .check().stdout().strip()).isEqualTo(web);
        // A bind mount in the command's own mount namespace: the host's /etc/hosts is untouched.
        assertThat(net.exec("client", "findmnt", "-n", "-o", "TARGET", "/etc/hosts").check().stdout().strip()).isEqualTo("/etc/hosts");
        assertThat(Files.readString(Path.of("/etc/hosts"))).doesNotContain("web-svc.default");
        assertThat(Path.of("/etc/netns", net.namespace("client"), "hosts")).exists();
    }

    @Test
    void nothingLeavesTheNamespaces() {
        for (String pod : PODS) {
            // One route, the pods' subnet: no default route, so anything else is unreachable.
            assertThat(net.exec(pod, "ip", "-4", "route").check().stdout().strip())
                    .matches(net.subnet().replace(".", "\\.") + " dev eth0 proto kernel scope link src " + net.address(pod).replace(".", "\\."));
            assertThat(net.exec(pod, "ip", "-o", "link").check().stdout().lines().map(l -> l.split(": ")[1].split("@")[0]))
                    .containsExactly("lo", "eth0");
        }
        assertThat(net.curl("client", "http://192.0.2.1:80/")).startsWith("curl failed (exit 7)");
        // The bridge has the pods' veth ends and nothing else (no uplink to the host).
        List<String> bridgeLinks = new ArrayList<>();
        new ProcessOutput("ip", "-n", net.bridgeNamespace(), "-o", "link").lines()
                .forEach(l -> bridgeLinks.add(l.split(": ")[1].split("@")[0]));
        assertThat(bridgeLinks).containsExactlyInAnyOrder("lo", "br0", "v0", "v1", "v2");
    }

    @Test
    void commandsRunAsTheUserAsked() {
        assertThat(net.execAs(2102, "client", "id").check().stdout().strip()).isEqualTo("uid=2102 gid=2102 groups=2102");
        assertThat(net.exec("client", "id", "-u").check().stdout().strip()).isEqualTo("0");
        assertThat(net.curlAs(2102, "client", "http://web:8080/")).isEqualTo("I am web");
    }

    @Test
    void aMissingCommandIsNamed() {
        assertThatThrownBy(() -> net.exec("client", "meshj-no-such-command"))
                .hasMessageStartingWith("exec of \"meshj-no-such-command\" failed: No such file or directory: is it installed?");
    }

    @Test
    void theControllerIsReachableFromEveryPod() throws IOException {
        Path staticFile = Files.writeString(dir.resolve("static.yml"),
                "services:\n  web-svc.default:8080:\n    - " + net.address("web") + ":8080\n");
        PodProcess controller = net.start("controller", "env", "MESHJ_JAVA_OPTS=-Xmx64m -XX:+UseSerialGC",
                launcher(), "controller", "--local", "--data-dir", dir.resolve("home").toString(), "--static", staticFile.toString(),
                "--destination-listen", "0.0.0.0:8086", "--identity-listen", "127.0.0.1:8081");
        controller.awaitOutput("meshj controller ready", Duration.ofSeconds(30));
        for (String pod : List.of("web", "client")) {
            // Java in the pod resolves the controller's name through the pod's hosts file, too.
            assertThat(net.exec(pod, launcher(), "diagnostics", "endpoints", "web-svc.default:8080",
                    "--destination", "meshj-controller.meshj:8086").check().stdout()).as(pod).contains(net.address("web"));
        }
    }

    @Test
    void tearingDownLeavesNoNamespaceProcessOrHostsFileAndNeverTouchedTheHost() throws Exception {
        Set<String> before = netnsList();
        String hostLinks = hostLinks();
        String hostRoutes = new ProcessOutput("ip", "route").text();
        PodNetwork other = PodNetwork.builder().pod("a").pod("b").build();
        List<Long> pids = new ArrayList<>();
        try {
            other.create();
            assertThat(netnsList()).containsAll(other.namespaces());
            assertThat(hostLinks()).isEqualTo(hostLinks);
            // A process that ignores SIGTERM with a child, one as another user, and a daemon nobody tracks.
            PodProcess stubborn = other.start("a", "sh", "-c", "trap '' TERM; sleep 600 & echo child $!; wait");
            stubborn.awaitOutput("child ", Duration.ofSeconds(10));
            pids.add(stubborn.pid());
            pids.add(Long.parseLong(stubborn.output().strip().substring("child ".length())));
            pids.add(other.startAs(2102, "b", "sleep", "600").pid());
            // (keeping the command's output open, which must not keep exec waiting)
            other.exec("b", "sh", "-c", "setsid sleep 600 &").check();
            pids.addAll(new ProcessOutput("ip", "netns", "pids", other.namespace("b")).lines().map(Long::parseLong).toList());
            assertThat(pids).hasSizeGreaterThanOrEqualTo(5).allMatch(PodNetworkE2E::running);
        } finally {
            other.close();
        }
        assertThat(pids).noneMatch(PodNetworkE2E::running);
        Set<String> after = netnsList();
        // Other tests may make namespaces meanwhile; none of this network's may be left.
        assertThat(after).doesNotContainAnyElementsOf(other.namespaces());
        Set<String> added = new TreeSet<>(after);
        added.removeAll(before);
        assertThat(added).noneMatch(ns -> other.namespaces().stream().anyMatch(mine -> ns.startsWith(mine.substring(0, 12))));
        for (String ns : other.namespaces()) {
            assertThat(Path.of("/etc/netns", ns)).doesNotExist();
        }
        assertThat(hostLinks()).isEqualTo(hostLinks);
        assertThat(new ProcessOutput("ip", "route").text()).isEqualTo(hostRoutes);
        other.close(); // again: nothing to do
    }

    @Test
    void withoutRootOrIpItSaysWhyInOneLine() {
        Set<String> before = netnsList();
        PodNetwork notRoot = PodNetwork.builder().pod("a").effectiveUid(1000).build();
        assertThatThrownBy(notRoot::create).isInstanceOf(PodNetwork.Unavailable.class)
                .hasMessage("PodNetwork needs root (network namespaces, veth links, /etc/netns): run the *E2E tests as root")
                .satisfies(e -> assertThat(e.getStackTrace()).isEmpty());
        PodNetwork noIp = PodNetwork.builder().pod("a").ip("/nonexistent/sbin/ip").build();
        assertThatThrownBy(noIp::create).isInstanceOf(PodNetwork.Unavailable.class)
                .hasMessage("PodNetwork needs the ip command (/nonexistent/sbin/ip not found): install iproute2");
        notRoot.close();
        noIp.close();
        assertThat(netnsList()).containsAll(before).noneMatch(ns -> ns.endsWith("-a") && !before.contains(ns));
    }

    // --- a failing test is cleaned up after: test classes run by the JUnit launcher from here ---

    private static volatile boolean launching;
    private static final List<PodNetwork> NETWORKS = Collections.synchronizedList(new ArrayList<>());
    private static final List<Long> PIDS = Collections.synchronizedList(new ArrayList<>());

    static boolean launching() {
        return launching;
    }

    @Test
    void aFailingTestIsTornDownLikeAnyOther() {
        NETWORKS.clear();
        PIDS.clear();
        TestExecutionSummary perTest = launch(FailsWithANetworkPerTest.class);
        TestExecutionSummary perClass = launch(FailsWithANetworkPerClass.class);

        assertThat(perTest.getTestsFailedCount()).isEqualTo(2);
        assertThat(perTest.getFailures()).allSatisfy(f -> assertThat(f.getException()).hasMessage("on purpose"));
        assertThat(perClass.getTestsFailedCount()).isEqualTo(2);
        // The first test's process was gone before the second began; the class's server lived on.
        assertThat(perClass.getFailures()).allSatisfy(f -> assertThat(f.getException()).hasMessage("on purpose"));
        NETWORKS.add(FailsWithANetworkPerClass.net);
        assertThat(NETWORKS).hasSize(3);
        Set<String> left = netnsList();
        for (PodNetwork n : NETWORKS) {
            assertThat(left).doesNotContainAnyElementsOf(n.namespaces());
            n.namespaces().forEach(ns -> assertThat(Path.of("/etc/netns", ns)).doesNotExist());
        }
        assertThat(PIDS).hasSizeGreaterThanOrEqualTo(4).noneMatch(PodNetworkE2E::running);
    }

    private static TestExecutionSummary launch(Class<?> tests) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launching = true;
        try {
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(tests)).build(), listener);
        } finally {
            launching = false;
        }
        return listener.getSummary();
    }

    @EnabledIf("io.meshj.controller.testing.PodNetworkE2E#launching")
    static class FailsWithANetworkPerTest {

        @RegisterExtension
        final PodNetwork net = PodNetwork.builder().pod("a").pod("b").build();

        @Test
        void fails() {
            run();
        }

        @Test
        void failsToo() {
            run();
        }

        private void run() {
            NETWORKS.add(net);
            PIDS.add(net.httpServer("a", 8080, "a").pid());
            PIDS.add(net.start("b", "sleep", "600").pid());
            assertThat(net.curl("b", "http://a:8080/")).isEqualTo("a");
            throw new AssertionError("on purpose");
        }
    }

    @EnabledIf("io.meshj.controller.testing.PodNetworkE2E#launching")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class FailsWithANetworkPerClass {

        @RegisterExtension
        static final PodNetwork net = PodNetwork.builder().pod("a").pod("b").build();

        private static PodProcess server;
        private static PodProcess first;

        @BeforeAll
        static void server() {
            server = net.httpServer("a", 8080, "a");
            PIDS.add(server.pid());
        }

        @Test
        @Order(1)
        void fails() {
            first = net.start("b", "sleep", "600");
            PIDS.add(first.pid());
            throw new AssertionError("on purpose");
        }

        @Test
        @Order(2)
        void failsToo() {
            if (first.isAlive() || !server.isAlive()) {
                throw new AssertionError("the first test's process outlived it, or the class's server did not");
            }
            PIDS.add(net.start("b", "sleep", "600").pid());
            throw new AssertionError("on purpose");
        }
    }

    // --- helpers ---

    private static String launcher() {
        return Path.of(System.getProperty("meshj.repo.root", "..")).toAbsolutePath().normalize().resolve("bin/meshj").toString();
    }

    /** Alive and not a zombie (a killed daemon whose parent, pid 1 here, may never reap it). */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException gone) {
            return false;
        }
    }

    private static Set<String> netnsList() {
        // "name (id: 3)" or "name"
        return new TreeSet<>(new ProcessOutput("ip", "netns", "list").lines().map(l -> l.split(" ")[0]).toList());
    }

    /** The host's interfaces by name and flags; counters and addresses left out, as they change by themselves. */
    private static String hostLinks() {
        return String.join("\n", new ProcessOutput("ip", "-o", "link").lines()
                .map(l -> String.join(" ", Arrays.asList(l.split("\\s+")).subList(0, 3))).toList());
    }

    /** A command on the host that only reads (ip netns list, ip route, ...). */
    private record ProcessOutput(String... command) {
        String text() {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                p.waitFor();
                return out;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        java.util.stream.Stream<String> lines() {
            return text().lines().map(String::strip).filter(l -> !l.isEmpty());
        }
    }
}
