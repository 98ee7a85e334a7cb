package io.meshj.examples.emojivoto;

import io.meshj.proxy.embedded.Mesh;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

/**
 * {@code emojivoto <emoji|voting|web|vote-bot> [--flag value]...}: runs one service of the Java
 * emojivoto, plain (behind a meshj sidecar) or embedded (meshed in-process), see {@link Options}.
 *
 * <p>Contract with whoever starts it (a shell, {@code meshj demo}): once the service is ready, exactly
 * one line on stdout, {@code emojivoto <service> ready (<mode>) on <address>:<port>} (the vote-bot:
 * {@code ... -> <web-addr>}). A bad command line is one line on stderr and exit code 2; a service that
 * cannot start, one line and exit code 1. SIGTERM stops it cleanly (servers drain, then channels and
 * the mesh close) and the JVM exits as any does on SIGTERM, with 143.
 */
public final class Emojivoto {

    private static final Duration MESH_READY_TIMEOUT = Duration.ofSeconds(30);

    private Emojivoto() {}

    public static void main(String[] args) {
        int exitCode = run(Arrays.asList(args), System.getenv(), System.out, System.err);
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }

    /** Runs until the JVM is asked to stop; returns early, with the exit code, only on failure. */
    static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.print(Options.USAGE);
            return 0;
        }
        Options options;
        try {
            options = Options.parse(args, env);
        } catch (UsageException e) {
            err.println("emojivoto: " + e.getMessage());
            return 2;
        }

        RunningService service;
        try {
            service = start(options);
        } catch (StartupException e) {
            err.println("emojivoto " + options.service().cliName + ": " + e.getMessage());
            return 1;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "emojivoto-shutdown"));
        out.println(service.readyLine());
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** Starts the service {@code options} name. */
    static RunningService start(Options options) throws StartupException {
        if (options.service() == Options.Service.VOTE_BOT) {
            // Behind a sidecar: connect to its outbound listener and name the web service in Host.
            Options.HostPort connectTo = options.proxy().orElse(options.webAddr());
            String host = options.webAddr().toString();
            return VoteBot.start(new Http1Client(connectTo, host, Duration.ofSeconds(5)), host,
                    new VoteChooser(new Random()), options.workers(), options.interval());
        }
        Network network = network(options);
        try {
            return switch (options.service()) {
                case EMOJI -> GrpcApp.start("emoji", network, options.listenAddress(), options.port(), new EmojiService());
                case VOTING -> GrpcApp.start("voting", network, options.listenAddress(), options.port(), new VotingService());
                case WEB -> WebApp.start(network, options.listenAddress(), options.port(),
                        options.emojiAddr().toString(), options.votingAddr().toString());
                case VOTE_BOT -> throw new AssertionError("started above");
            };
        } catch (IOException | RuntimeException e) {
            network.close();
            throw new StartupException("cannot serve on port " + options.port() + ": " + e.getMessage(), e);
        }
    }

    private static Network network(Options options) throws StartupException {
        return switch (options.mode()) {
            case PLAIN -> new PlainNetwork(options.proxy());
            case EMBEDDED -> new EmbeddedNetwork(readyMesh());
        };
    }

    /** The mesh the {@code MESHJ_*} environment describes, once it holds its workload certificate. */
    private static Mesh readyMesh() throws StartupException {
        Mesh mesh;
        try {
            mesh = Mesh.fromEnvironment();
        } catch (RuntimeException e) { // a MESHJ_* variable missing or wrong (named), a port taken...
            throw new StartupException("embedded mode: " + e.getMessage(), e);
        }
        try {
            return mesh.awaitReady(MESH_READY_TIMEOUT);
        } catch (IllegalStateException e) {
            mesh.close();
            throw new StartupException("embedded mode: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            mesh.close();
            Thread.currentThread().interrupt();
            throw new StartupException("embedded mode: interrupted while waiting for the workload certificate", e);
        }
    }

    /** A service that could not start; its message is the one line printed. */
    static final class StartupException extends Exception {
        StartupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
