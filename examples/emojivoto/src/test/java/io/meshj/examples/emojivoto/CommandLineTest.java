package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** {@link Emojivoto#run} and {@link Options}: what a person typing the command sees. */
class CommandLineTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return Emojivoto.run(List.of(args), env,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "''                                      | missing service",
            "emojis                                  | unknown service 'emojis'",
            "emoji --port                            | flag --port needs a value",
            "emoji --port 99999                      | flag --port: '99999' is not a port (0-65535)",
            "emoji --port=eighty                     | flag --port: 'eighty' is not a port",
            "emoji --emoji-addr x:1                  | unknown flag --emoji-addr for emoji",
            "emoji 8081                              | unexpected argument '8081'",
            "emoji --port 1 --port 2                 | flag --port is given twice",
            "voting --mode sidecar                   | flag --mode: 'sidecar' is not plain or embedded",
            "web --emoji-addr emoji-svc              | flag --emoji-addr: 'emoji-svc' is not HOST:PORT",
            "web --voting-addr voting-svc:http       | flag --voting-addr: 'voting-svc:http' is not HOST:PORT",
            "web --proxy 127.0.0.1:4140 --mode embedded | flag --proxy is for plain mode",
            "vote-bot --workers 0                    | flag --workers: '0' is not a number from 1 to 1000",
            "vote-bot --interval 5                   | flag --interval: '5' is not a positive duration",
            "vote-bot --interval 0s                  | flag --interval: '0s' is not a positive duration",
            "vote-bot --port 8080                    | unknown flag --port for vote-bot",
            "vote-bot --mode embedded                | vote-bot speaks HTTP only; run it plain behind a sidecar",
    })
    void aBadCommandLineIsOneLineOnStderrAndExitCodeTwo(String commandLine, String message) {
        String[] args = commandLine.isBlank() ? new String[0] : commandLine.trim().split("\\s+");

        assertThat(run(Map.of(), args)).isEqualTo(2);

        assertThat(stderr()).startsWith("emojivoto: ").contains(message).endsWith(System.lineSeparator());
        assertThat(stderr().lines()).hasSize(1);
        assertThat(out.size()).isZero();
    }

    @Test
    void aBadEnvironmentVariableIsNamed() {
        assertThat(run(Map.of("EMOJIVOTO_MODE", "mesh"), "emoji")).isEqualTo(2);
        assertThat(stderr()).isEqualTo("emojivoto: EMOJIVOTO_MODE: 'mesh' is not plain or embedded" + System.lineSeparator());

        err.reset();
        assertThat(run(Map.of("EMOJIVOTO_PROXY", "localhost"), "web")).isEqualTo(2);
        assertThat(stderr()).contains("EMOJIVOTO_PROXY: 'localhost' is not HOST:PORT");
    }

    @Test
    void helpGoesToStdoutWithExitCodeZero() {
        assertThat(run(Map.of(), "web", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("usage: emojivoto <service>");
        assertThat(err.size()).isZero();
    }

    @Test
    void defaultsFitTheDemo() throws UsageException {
        Options web = Options.parse(List.of("web"), Map.of());

        assertThat(web.mode()).isEqualTo(Options.Mode.PLAIN);
        assertThat(web.listenAddress()).isEqualTo("127.0.0.1");
        assertThat(web.port()).isEqualTo(8083); // 8080 is the local controller's identity service
        assertThat(web.emojiAddr()).hasToString("emoji-svc.emojivoto:8081");
        assertThat(web.votingAddr()).hasToString("voting-svc.emojivoto:8082");
        assertThat(web.proxy()).isEmpty();

        Options bot = Options.parse(List.of("vote-bot"), Map.of());
        assertThat(bot.webAddr()).hasToString("web-svc.emojivoto:8083");
        assertThat(bot.workers()).isEqualTo(1);
        assertThat(bot.interval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void flagsWinOverTheEnvironment() throws UsageException {
        Map<String, String> env = Map.of("EMOJIVOTO_MODE", "embedded", "EMOJIVOTO_PROXY", "127.0.0.1:4140");

        Options fromEnv = Options.parse(List.of("web"), Map.of("EMOJIVOTO_PROXY", "127.0.0.1:4140"));
        assertThat(fromEnv.proxy()).contains(new Options.HostPort("127.0.0.1", 4140));

        Options flags = Options.parse(List.of("web", "--mode=plain", "--proxy", "[::1]:4141", "--port", "0"), env);
        assertThat(flags.mode()).isEqualTo(Options.Mode.PLAIN);
        assertThat(flags.proxy()).map(Object::toString).contains("[::1]:4141");
        assertThat(flags.port()).isZero();

        // Embedded from the environment: a proxy exported to every service is ignored, not refused.
        assertThat(Options.parse(List.of("voting"), env).proxy()).isEqualTo(Optional.empty());
    }

    @Test
    void intervalsTakeUnits() throws UsageException {
        assertThat(Options.parse(List.of("vote-bot", "--interval", "250ms", "--workers", "4"), Map.of()).interval())
                .isEqualTo(Duration.ofMillis(250));
        assertThat(Options.parse(List.of("vote-bot", "--interval", "2m"), Map.of()).interval())
                .isEqualTo(Duration.ofMinutes(2));
    }
}
