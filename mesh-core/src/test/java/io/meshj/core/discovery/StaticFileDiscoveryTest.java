package io.meshj.core.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshj.core.ConfigException;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.EndpointSet;
import io.meshj.core.endpoint.EndpointUpdate;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.testing.RecordingDiscoveryListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Format, error reporting and reload behaviour; reloads are triggered by hand (polling is off). */
class StaticFileDiscoveryTest {

    private static final AuthorityNormalizer EMOJIVOTO = AuthorityNormalizer.builder().namespace("emojivoto").build();
    private static final Authority WEB = Authority.parse("web-svc.emojivoto.svc.cluster.local:8080");

    @TempDir
    Path dir;

    private StaticFileDiscovery source;

    @AfterEach
    void close() {
        if (source != null) {
            source.close();
        }
    }

    @Test
    void readsTheFullFormat() {
        Map<Authority, EndpointSet> services = StaticFileDiscovery.parse("e.yml", """
                services:
                  web-svc:8080:
                    - 127.0.0.1:8081
                    - address: 127.0.0.1:8082
                      weight: 20000
                      identity: web.emojivoto.serviceaccount.identity.meshj.cluster.local
                      protocol: h2
                      inboundPort: 4143
                      labels: {pod: web-2, serviceaccount: web}
                  emoji-svc.emojivoto:8080: []
                  voting-svc.emojivoto.svc.cluster.local:8080:
                """, EMOJIVOTO);
        EndpointSet web = services.get(WEB);
        assertThat(web.endpoints()).containsExactly(
                Endpoint.of("127.0.0.1:8081"),
                Endpoint.builder(Authority.parse("127.0.0.1:8082"))
                        .weight(20000)
                        .tlsIdentity("web.emojivoto.serviceaccount.identity.meshj.cluster.local")
                        .protocolHint(ProtocolHint.H2)
                        .inboundPort(4143)
                        .label("pod", "web-2")
                        .label("serviceaccount", "web")
                        .build());
        EndpointSet emoji = services.get(Authority.parse("emoji-svc.emojivoto.svc.cluster.local:8080"));
        assertThat(emoji.exists()).isTrue();
        assertThat(emoji.isEmpty()).isTrue();
        assertThat(services.get(Authority.parse("voting-svc.emojivoto.svc.cluster.local:8080")).exists()).isTrue();
        assertThat(StaticFileDiscovery.parse("e.yml", "", EMOJIVOTO)).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "services:\\n  web:80:\\n    - 10.0.0.1:99999\\n                         | e.yml:3: services[\"web:80\"][0]: invalid authority \"10.0.0.1:99999\": port 99999 is out of range",
        "services:\\n  web:80:\\n    - address: 10.0.0.1:80\\n      weight: 0\\n | e.yml:4: services[\"web:80\"][0].weight: 0 is out of range 1-",
        "services:\\n  web:80:\\n    - address: 10.0.0.1:80\\n      wieght: 5\\n | e.yml:4: services[\"web:80\"][0].wieght: unknown field (expected one of address, identity, inboundPort, labels, protocol, weight)",
        "services:\\n  web:80:\\n    - address: 10.0.0.1\\n                   | e.yml:3: services[\"web:80\"][0].address: endpoint address 10.0.0.1 needs a port",
        "services:\\n  web:80:\\n    - {weight: 3}\\n                           | e.yml:3: services[\"web:80\"][0].address: required field is missing",
        "services:\\n  web:80:\\n    - address: 10.0.0.1:80\\n      protocol: h3\\n | e.yml:4: services[\"web:80\"][0].protocol: \"h3\" is not one of h2, opaque, unknown",
        "services:\\n  web:80: []\\n  web.default.svc:80: []\\n                     | e.yml:3: services[\"web.default.svc:80\"]: the same service as services[\"web:80\"] on line 2",
        "services:\\n  web:80:\\n    - 10.0.0.1:80\\n    - 10.0.0.1:80\\n          | e.yml:4: services[\"web:80\"][1]: duplicate endpoint 10.0.0.1:80",
        "services:\\n  bad_name:80: []\\n                                           | e.yml:2: services[\"bad_name:80\"]: invalid authority \"bad_name:80\": illegal character '_'",
        "servces: {}\\n                                                           | e.yml:1: servces: unknown field (expected one of services)",
        "services:\\n  web:80: [\\n                                               | e.yml:3: invalid YAML",
        "services:\\n  web:80: {a: 1}\\n                                           | e.yml:2: services[\"web:80\"]: expected a list, found a map",
        "services:\\n  web:80: []\\n  web:80: []\\n                               | e.yml:3: services[\"web:80\"]: duplicate key",
    })
    void rejectsBadFilesNamingLineAndField(String yaml, String message) {
        assertThatThrownBy(() -> StaticFileDiscovery.parse("e.yml", yaml.replace("\\n", "\n"), AuthorityNormalizer.defaults()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void buildFailsClearlyWhenTheFileIsMissingOrInvalid() throws IOException {
        assertThatThrownBy(() -> StaticFileDiscovery.builder(dir.resolve("nope.yml")).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nope.yml: file does not exist");
        Path bad = Files.writeString(dir.resolve("bad.yml"), "services:\n  web:80:\n    - 1.2.3.4\n");
        assertThatThrownBy(() -> StaticFileDiscovery.builder(bad).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("bad.yml:3:");
    }

    @Test
    void badVersionKeepsThePreviousStateAndReportsTheLine() throws IOException {
        Path file = write("services:\n  web-svc:8080:\n    - 10.0.0.1:80\n");
        source = StaticFileDiscovery.builder(file).normalizer(EMOJIVOTO).reloadInterval(Duration.ZERO).build();
        RecordingDiscoveryListener listener = new RecordingDiscoveryListener();
        source.watch(Authority.parse("web-svc.emojivoto:8080"), listener);
        assertThat(listener.state().endpoints()).containsExactly(Endpoint.of("10.0.0.1:80"));

        write("services:\n  web-svc:8080:\n    - 10.0.0.2:80\n    - address: 10.0.0.3\n");
        assertThat(source.reload()).isFalse();
        assertThat(source.lastError()).hasValueSatisfying(e -> {
            assertThat(e.line()).isEqualTo(4);
            assertThat(e.field()).isEqualTo("services[\"web-svc:8080\"][1].address");
        });
        assertThat(listener.count()).isEqualTo(1);
        assertThat(listener.state().endpoints()).containsExactly(Endpoint.of("10.0.0.1:80"));

        Files.delete(file);
        assertThat(source.reload()).isFalse();
        assertThat(source.lastError()).hasValueSatisfying(e -> assertThat(e.reason()).isEqualTo("file does not exist"));
        assertThat(listener.state().endpoints()).containsExactly(Endpoint.of("10.0.0.1:80"));

        write("services:\n  web-svc:8080:\n    - 10.0.0.2:80\n");
        assertThat(source.reload()).isTrue();
        assertThat(source.lastError()).isEmpty();
        assertThat(listener.state().endpoints()).containsExactly(Endpoint.of("10.0.0.2:80"));
    }

    @Test
    void sendsDeltasNotSnapshots() throws IOException {
        Path file = write("services:\n  web:80: [10.0.0.1:80, 10.0.0.2:80]\n");
        source = StaticFileDiscovery.builder(file).reloadInterval(Duration.ZERO).build();
        RecordingDiscoveryListener listener = new RecordingDiscoveryListener();
        source.watch(Authority.parse("web"), listener);

        write("services:\n  web:80: [10.0.0.2:80, 10.0.0.3:80]\n");
        assertThat(source.reload()).isTrue();
        assertThat(listener.updates()).containsExactly(
                new EndpointUpdate.Add(List.of(Endpoint.of("10.0.0.1:80"), Endpoint.of("10.0.0.2:80"))),
                // Add before Remove: a watcher never passes through an empty set mid-change.
                new EndpointUpdate.Add(List.of(Endpoint.of("10.0.0.3:80"))),
                new EndpointUpdate.Remove(List.of(Authority.parse("10.0.0.1:80"))));

        // Unchanged content is not re-applied; a change elsewhere in the file sends this watch nothing.
        assertThat(source.reload()).isFalse();
        write("services:\n  web:80: [10.0.0.2:80, 10.0.0.3:80]\n  other:80: [10.0.0.9:80]\n");
        assertThat(source.reload()).isTrue();
        assertThat(listener.count()).isEqualTo(3);
    }

    @Test
    void revertingABadEditClearsTheError() throws IOException {
        String good = "services:\n  web:80: [10.0.0.1:80]\n";
        Path file = write(good);
        source = StaticFileDiscovery.builder(file).reloadInterval(Duration.ZERO).build();
        write("services:\n  web:80: [10.0.0.1]\n");
        assertThat(source.reload()).isFalse();
        assertThat(source.lastError()).isPresent();
        write(good);
        assertThat(source.reload()).isFalse(); // nothing new to apply...
        assertThat(source.lastError()).isEmpty(); // ...but what is served is valid again
    }

    @Test
    void aThrowingWatcherDoesNotStarveTheOthers() throws IOException {
        Path file = write("services:\n  web:80: [10.0.0.1:80]\n");
        source = StaticFileDiscovery.builder(file).reloadInterval(Duration.ZERO).build();
        source.watch(Authority.parse("web"), u -> {
            throw new IllegalStateException("broken watcher");
        });
        RecordingDiscoveryListener healthy = new RecordingDiscoveryListener();
        source.watch(Authority.parse("web"), healthy);
        write("services:\n  web:80: [10.0.0.1:81]\n");
        assertThat(source.reload()).isTrue();
        write("services:\n  web:80: [10.0.0.2:80]\n");
        assertThat(source.reload()).isTrue();
        assertThat(healthy.state().endpoints()).containsExactly(Endpoint.of("10.0.0.2:80"));
    }

    @Test
    void pollerAppliesAChangeOnlyOnceTwoPollsAgree() throws Exception {
        // A scheduler the test runs by hand: each run() is one poll.
        ManualScheduler scheduler = new ManualScheduler();
        Path file = write("services:\n  web:80: [10.0.0.1:80]\n");
        source = StaticFileDiscovery.builder(file).scheduler(scheduler).reloadInterval(Duration.ofSeconds(1)).build();
        RecordingDiscoveryListener listener = new RecordingDiscoveryListener();
        source.watch(Authority.parse("web"), listener);

        // Caught half-way through an in-place rewrite: a prefix that happens to parse.
        write("services:\n  web:80: [10.0.0.2:80]\n");
        scheduler.runPoll();
        assertThat(listener.state().endpoints()).containsExactly(Endpoint.of("10.0.0.1:80"));
        write("services:\n  web:80: [10.0.0.2:80, 10.0.0.3:80]\n");
        scheduler.runPoll();
        assertThat(listener.state().endpoints()).containsExactly(Endpoint.of("10.0.0.1:80"));
        scheduler.runPoll();
        assertThat(listener.state().endpoints()).containsExactly(Endpoint.of("10.0.0.2:80"), Endpoint.of("10.0.0.3:80"));
        scheduler.shutdownNow();
    }

    @Test
    void rejectsRecursiveAliases() {
        assertThatThrownBy(() -> StaticFileDiscovery.parse("e.yml", "services: &s\n  web:80: *s\n", AuthorityNormalizer.defaults()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("an alias refers to a value that contains it");
    }

    @Test
    void closeStopsDelivery() throws IOException {
        Path file = write("services:\n  web:80: [10.0.0.1:80]\n");
        source = StaticFileDiscovery.builder(file).reloadInterval(Duration.ZERO).build();
        RecordingDiscoveryListener listener = new RecordingDiscoveryListener();
        source.watch(Authority.parse("web"), listener);
        source.close();
        write("services:\n  web:80: [10.0.0.2:80]\n");
        assertThat(source.reload()).isFalse();
        RecordingDiscoveryListener late = new RecordingDiscoveryListener();
        source.watch(Authority.parse("web"), late);
        assertThat(listener.count()).isEqualTo(1);
        assertThat(late.count()).isZero();
    }

    /** Captures the poll task instead of running it on a timer. */
    private static final class ManualScheduler extends java.util.concurrent.ScheduledThreadPoolExecutor {
        private Runnable poll;

        ManualScheduler() {
            super(1);
        }

        @Override
        public java.util.concurrent.ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay,
                long delay, java.util.concurrent.TimeUnit unit) {
            this.poll = command;
            return super.schedule(() -> { }, 1, java.util.concurrent.TimeUnit.DAYS);
        }

        void runPoll() {
            poll.run();
        }
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("endpoints.yml"), yaml);
    }
}
