package io.meshj.examples.emojivoto;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The command line of {@code emojivoto <service> [--flag value]...}, checked before anything starts.
 *
 * <p>Each service accepts only its own flags; {@code --flag=value} works too. A flag wins over its
 * environment variable ({@code EMOJIVOTO_MODE}, {@code EMOJIVOTO_PROXY}), which wins over the
 * default. Every mistake is a {@link UsageException} whose message names the flag.
 */
record Options(
        Service service,
        Mode mode,
        String listenAddress,
        int port,
        HostPort emojiAddr,
        HostPort votingAddr,
        HostPort webAddr,
        Optional<HostPort> proxy,
        int workers,
        Duration interval) {

    /** The four programs of emojivoto, by the name given on the command line. */
    enum Service {
        EMOJI("emoji", 8081, "--port", "--listen-address"),
        VOTING("voting", 8082, "--port", "--listen-address"),
        WEB("web", 8083, "--port", "--listen-address", "--emoji-addr", "--voting-addr", "--proxy"),
        VOTE_BOT("vote-bot", 0, "--web-addr", "--proxy", "--workers", "--interval");

        final String cliName;
        final int defaultPort;
        final List<String> flags;

        Service(String cliName, int defaultPort, String... flags) {
            this.cliName = cliName;
            this.defaultPort = defaultPort;
            this.flags = List.of(flags);
        }

        static Optional<Service> byName(String name) {
            return Arrays.stream(values()).filter(s -> s.cliName.equals(name)).findFirst();
        }
    }

    /** Plain: a sidecar proxy meshes the service. Embedded: the service meshes itself with meshj. */
    enum Mode {
        PLAIN, EMBEDDED;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A {@code HOST:PORT} pair as given (not resolved). */
    record HostPort(String host, int port) {

        /** The IP literal and port of a bound socket address; {@code [::]:port} for every interface of v6. */
        static HostPort of(InetSocketAddress address) {
            InetAddress ip = address.getAddress();
            String host = ip instanceof Inet6Address && ip.isAnyLocalAddress() ? "::" : ip.getHostAddress();
            return new HostPort(host, address.getPort());
        }
        @Override
        public String toString() {
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        }
    }

    static final String MODE_ENV = "EMOJIVOTO_MODE";
    static final String PROXY_ENV = "EMOJIVOTO_PROXY";

    static final HostPort DEFAULT_EMOJI_ADDR = new HostPort("emoji-svc.emojivoto", 8081);
    static final HostPort DEFAULT_VOTING_ADDR = new HostPort("voting-svc.emojivoto", 8082);
    static final HostPort DEFAULT_WEB_ADDR = new HostPort("web-svc.emojivoto", 8083);

    static final String USAGE = """
            usage: emojivoto <service> [--flag value]...
              emoji     --port 8081 --listen-address 127.0.0.1
              voting    --port 8082 --listen-address 127.0.0.1
              web       --port 8083 --listen-address 127.0.0.1 --emoji-addr %s --voting-addr %s --proxy HOST:PORT
              vote-bot  --web-addr %s --proxy HOST:PORT --workers 1 --interval 1s
            every service: --mode plain|embedded (env %s, default plain); --proxy defaults to env %s
            """.formatted(DEFAULT_EMOJI_ADDR, DEFAULT_VOTING_ADDR, DEFAULT_WEB_ADDR, MODE_ENV, PROXY_ENV);

    private static final Pattern HOST_PORT = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)]|([^\\s:\\[\\]/]+)):(\\d{1,5})");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");

    static Options parse(List<String> args, Map<String, String> env) throws UsageException {
        if (args.isEmpty()) {
            throw new UsageException("missing service: expected emoji, voting, web or vote-bot");
        }
        Service service = Service.byName(args.get(0)).orElseThrow(() -> new UsageException(
                "unknown service '" + args.get(0) + "': expected emoji, voting, web or vote-bot"));

        Map<String, String> flags = new HashMap<>();
        for (int i = 1; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "': flags are --name value");
            }
            String name = arg;
            String value;
            int equals = arg.indexOf('=');
            if (equals >= 0) {
                name = arg.substring(0, equals);
                value = arg.substring(equals + 1);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                value = null;
            }
            if (!name.equals("--mode") && !service.flags.contains(name)) {
                throw new UsageException("unknown flag " + name + " for " + service.cliName
                        + " (it takes --mode" + service.flags.stream().map(f -> ", " + f).collect(Collectors.joining())
                        + ")");
            }
            if (value == null || value.isEmpty()) {
                throw new UsageException("flag " + name + " needs a value");
            }
            if (flags.put(name, value) != null) {
                throw new UsageException("flag " + name + " is given twice");
            }
        }

        Mode mode = mode(flags, env);
        if (service == Service.VOTE_BOT && mode == Mode.EMBEDDED) {
            throw new UsageException("vote-bot speaks HTTP only; run it plain behind a sidecar");
        }
        Optional<HostPort> proxy = Optional.empty();
        if (flags.containsKey("--proxy")) {
            if (mode == Mode.EMBEDDED) {
                throw new UsageException("flag --proxy is for plain mode; embedded services dial through the mesh");
            }
            proxy = Optional.of(hostPort("flag --proxy", flags.get("--proxy")));
        } else if (mode == Mode.PLAIN && service.flags.contains("--proxy") && !env.getOrDefault(PROXY_ENV, "").isEmpty()) {
            // In embedded mode the variable is ignored rather than refused: a supervisor may export
            // it to every service it starts.
            proxy = Optional.of(hostPort(PROXY_ENV, env.get(PROXY_ENV)));
        }

        return new Options(
                service,
                mode,
                flags.getOrDefault("--listen-address", "127.0.0.1"),
                flags.containsKey("--port") ? port("flag --port", flags.get("--port")) : service.defaultPort,
                addr("--emoji-addr", flags, DEFAULT_EMOJI_ADDR),
                addr("--voting-addr", flags, DEFAULT_VOTING_ADDR),
                addr("--web-addr", flags, DEFAULT_WEB_ADDR),
                proxy,
                flags.containsKey("--workers") ? workers(flags.get("--workers")) : 1,
                flags.containsKey("--interval") ? duration("flag --interval", flags.get("--interval")) : Duration.ofSeconds(1));
    }

    /** Parses {@code HOST:PORT} ({@code [v6]:PORT} for IPv6 literals); {@code what} names the source in errors. */
    static HostPort hostPort(String what, String value) throws UsageException {
        Matcher m = HOST_PORT.matcher(value);
        if (!m.matches()) {
            throw new UsageException(what + ": '" + value + "' is not HOST:PORT");
        }
        String host = m.group(1) != null ? m.group(1) : m.group(2);
        return new HostPort(host, port(what, m.group(3)));
    }

    private static Mode mode(Map<String, String> flags, Map<String, String> env) throws UsageException {
        String what = flags.containsKey("--mode") ? "flag --mode" : MODE_ENV;
        String value = flags.containsKey("--mode") ? flags.get("--mode") : env.getOrDefault(MODE_ENV, "");
        return switch (value) {
            case "", "plain" -> Mode.PLAIN;
            case "embedded" -> Mode.EMBEDDED;
            default -> throw new UsageException(what + ": '" + value + "' is not plain or embedded");
        };
    }

    private static HostPort addr(String flag, Map<String, String> flags, HostPort fallback) throws UsageException {
        return flags.containsKey(flag) ? hostPort("flag " + flag, flags.get(flag)) : fallback;
    }

    private static int port(String what, String value) throws UsageException {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(what + ": '" + value + "' is not a port (0-65535)");
    }

    private static int workers(String value) throws UsageException {
        try {
            int workers = Integer.parseInt(value);
            if (workers >= 1 && workers <= 1000) {
                return workers;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("flag --workers: '" + value + "' is not a number from 1 to 1000");
    }

    private static Duration duration(String what, String value) throws UsageException {
        Matcher m = DURATION.matcher(value);
        if (m.matches()) {
            long amount = Long.parseLong(m.group(1));
            Duration duration = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                default -> Duration.ofMinutes(amount);
            };
            if (!duration.isZero()) {
                return duration;
            }
        }
        throw new UsageException(what + ": '" + value + "' is not a positive duration such as 500ms, 1s or 2m");
    }
}
