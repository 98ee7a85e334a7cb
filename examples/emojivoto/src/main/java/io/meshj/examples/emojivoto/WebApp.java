package io.meshj.examples.emojivoto;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.meshj.examples.emojivoto.v1.Emoji;
import io.meshj.examples.emojivoto.v1.EmojiServiceGrpc;
import io.meshj.examples.emojivoto.v1.FindByShortcodeRequest;
import io.meshj.examples.emojivoto.v1.ListAllEmojiRequest;
import io.meshj.examples.emojivoto.v1.ResultsRequest;
import io.meshj.examples.emojivoto.v1.VoteRequest;
import io.meshj.examples.emojivoto.v1.VoteResponse;
import io.meshj.examples.emojivoto.v1.VotingResult;
import io.meshj.examples.emojivoto.v1.VotingServiceGrpc;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The web service: the page people vote on, and the JSON API behind it, backed by the emoji and
 * voting services over gRPC.
 *
 * <ul>
 *   <li>{@code GET /} the page (plain HTML and JS, nothing loaded from elsewhere);
 *   <li>{@code GET /api/list} every emoji, {@code [{"shortcode":":joy:","unicode":"😂"},...]};
 *   <li>{@code GET /api/vote?choice=:joy:} looks the emoji up, then calls its Vote RPC: 200, 400 for
 *       an unknown or missing choice, 500 with {@code {"error":...}} when the vote fails (always,
 *       for {@code :doughnut:});
 *   <li>{@code GET /api/leaderboard} the tally joined with each emoji's character, most votes first.
 * </ul>
 *
 * <p>In both modes this HTTP server is plain HTTP/1.1: embedded meshj meshes gRPC only, so only the
 * web service's calls to emoji and voting are meshed in embedded mode. Plain mode gets the HTTP
 * side meshed by the sidecar in front of it.
 */
final class WebApp implements RunningService {

    private static final System.Logger LOG = System.getLogger(WebApp.class.getName());

    static {
        // The JDK's server writes a response's head and body separately; with Nagle's algorithm on,
        // the body then waits for the peer's delayed ACK: about 40 ms per request behind a sidecar
        // (measured by PlainModeBehindSidecarsIT). The server reads this property once, when the
        // first HttpServer of the JVM is made, so it is set here, before WebApp makes one.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }
    private static final long RPC_DEADLINE_SECONDS = 5;
    private static final int HANDLER_THREADS = 8;

    private final Network network;
    private final ManagedChannel emojiChannel;
    private final ManagedChannel votingChannel;
    private final EmojiServiceGrpc.EmojiServiceBlockingStub emoji;
    private final VotingServiceGrpc.VotingServiceBlockingStub voting;
    private final ExecutorService handlers;
    private final HttpServer http;
    private final AtomicBoolean closed = new AtomicBoolean();

    private WebApp(Network network, ManagedChannel emojiChannel, ManagedChannel votingChannel,
                   InetSocketAddress listen) throws IOException {
        this.network = network;
        this.emojiChannel = emojiChannel;
        this.votingChannel = votingChannel;
        this.emoji = EmojiServiceGrpc.newBlockingStub(emojiChannel);
        this.voting = VotingServiceGrpc.newBlockingStub(votingChannel);
        // Handlers block on gRPC calls, so they get their own small pool rather than the server's
        // single dispatcher thread.
        AtomicInteger threadNumber = new AtomicInteger();
        this.handlers = new ThreadPoolExecutor(HANDLER_THREADS, HANDLER_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "emojivoto-web-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.http = HttpServer.create(listen, 0);
        http.setExecutor(handlers);
        http.createContext("/", exchange -> handle(exchange, this::page));
        http.createContext("/api/list", exchange -> handle(exchange, this::list));
        http.createContext("/api/vote", exchange -> handle(exchange, this::vote));
        http.createContext("/api/leaderboard", exchange -> handle(exchange, this::leaderboard));
    }

    /**
     * Starts the web service on {@code listenAddress:port}, calling emoji and voting at the given
     * authorities through {@code network}, which the app owns from here on.
     */
    static WebApp start(Network network, String listenAddress, int port, String emojiAddr, String votingAddr)
            throws IOException {
        ManagedChannel emojiChannel = network.channel(emojiAddr);
        ManagedChannel votingChannel = network.channel(votingAddr);
        try {
            WebApp app = new WebApp(network, emojiChannel, votingChannel, new InetSocketAddress(listenAddress, port));
            app.http.start();
            return app;
        } catch (IOException | RuntimeException e) {
            emojiChannel.shutdownNow();
            votingChannel.shutdownNow();
            throw e;
        }
    }

    InetSocketAddress address() {
        return http.getAddress();
    }

    @Override
    public String readyLine() {
        return "emojivoto web ready (" + network.mode() + ") on " + Options.HostPort.of(address());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            // stop(0): closes the listener and every connection now. The handlers' gRPC calls carry
            // deadlines, and a vote is one short call, so there is little in flight worth waiting for.
            http.stop(0);
            Graceful.stop(handlers);
            Graceful.stop(emojiChannel);
            Graceful.stop(votingChannel);
            network.close();
        }
    }

    /** A response: status, content type and body. */
    private record Reply(int status, String contentType, byte[] body) {

        static Reply json(int status, Object document) {
            return new Reply(status, "application/json; charset=utf-8",
                    Json.write(document).getBytes(StandardCharsets.UTF_8));
        }

        static Reply error(int status, String message) {
            return json(status, Json.obj("error", message));
        }
    }

    private void handle(HttpExchange exchange, Function<HttpExchange, Reply> handler) throws IOException {
        try (exchange) {
            Reply reply;
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                reply = Reply.error(405, "method " + exchange.getRequestMethod() + " not allowed");
            } else {
                try {
                    reply = handler.apply(exchange);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "web: " + exchange.getRequestURI() + " failed", e);
                    reply = Reply.error(500, "internal error: " + e);
                }
            }
            exchange.getResponseHeaders().set("Content-Type", reply.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(reply.status(), head ? -1 : reply.body().length);
            if (!head) {
                exchange.getResponseBody().write(reply.body());
            }
        }
    }

    private Reply page(HttpExchange exchange) {
        // The "/" context catches every path no other context claims.
        if (!exchange.getRequestURI().getPath().equals("/")) {
            return Reply.error(404, "no such page: " + exchange.getRequestURI().getPath());
        }
        return new Reply(200, "text/html; charset=utf-8", Page.HTML);
    }

    private Reply list(HttpExchange exchange) {
        List<Emoji> emojis;
        try {
            emojis = listAll();
        } catch (StatusRuntimeException e) {
            return Reply.error(500, "listing emojis failed: " + describe(e));
        }
        return Reply.json(200, emojis.stream()
                .map(e -> Json.obj("shortcode", e.getShortcode(), "unicode", e.getUnicode()))
                .toList());
    }

    private Reply vote(HttpExchange exchange) {
        Optional<String> choice;
        try {
            choice = queryParameter(exchange, "choice");
        } catch (IllegalArgumentException e) { // a malformed %-escape
            return Reply.error(400, "bad query: " + e.getMessage());
        }
        if (choice.isEmpty() || choice.get().isBlank()) {
            return Reply.error(400, "missing ?choice=<shortcode>");
        }
        String shortcode = choice.get();
        Emoji found;
        try {
            found = emoji.withDeadlineAfter(RPC_DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .findByShortcode(FindByShortcodeRequest.newBuilder().setShortcode(shortcode).build())
                    .getEmoji();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return Reply.error(400, "unknown emoji " + shortcode);
            }
            return Reply.error(500, "looking up " + shortcode + " failed: " + describe(e));
        }
        MethodDescriptor<VoteRequest, VoteResponse> method = VotingService.voteMethod(found.getShortcode());
        if (method == null) {
            return Reply.error(500, "voting has no RPC for " + found.getShortcode());
        }
        try {
            ClientCalls.blockingUnaryCall(votingChannel, method,
                    CallOptions.DEFAULT.withDeadlineAfter(RPC_DEADLINE_SECONDS, TimeUnit.SECONDS),
                    VoteRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            return Reply.error(500, "voting for " + found.getShortcode() + " failed: " + describe(e));
        }
        return Reply.json(200, Json.obj("voted", found.getShortcode(), "unicode", found.getUnicode()));
    }

    private Reply leaderboard(HttpExchange exchange) {
        List<VotingResult> results;
        Map<String, String> unicodeByShortcode;
        try {
            results = voting.withDeadlineAfter(RPC_DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .results(ResultsRequest.getDefaultInstance())
                    .getResultsList();
            unicodeByShortcode = listAll().stream()
                    .collect(Collectors.toMap(Emoji::getShortcode, Emoji::getUnicode, (a, b) -> a));
        } catch (StatusRuntimeException e) {
            return Reply.error(500, "reading the leaderboard failed: " + describe(e));
        }
        // Results come sorted by votes from the voting service; the order is kept.
        return Reply.json(200, results.stream()
                .map(r -> Json.obj(
                        "shortcode", r.getShortcode(),
                        "unicode", unicodeByShortcode.getOrDefault(r.getShortcode(), "?"),
                        "votes", r.getVotes()))
                .toList());
    }

    private List<Emoji> listAll() {
        return emoji.withDeadlineAfter(RPC_DEADLINE_SECONDS, TimeUnit.SECONDS)
                .listAll(ListAllEmojiRequest.getDefaultInstance())
                .getListList();
    }

    private static String describe(StatusRuntimeException e) {
        Status status = e.getStatus();
        return status.getDescription() == null
                ? status.getCode().toString()
                : status.getCode() + ": " + status.getDescription();
    }

    private static Optional<String> queryParameter(HttpExchange exchange, String name) {
        String query = exchange.getRequestURI().getRawQuery();
        if (query == null) {
            return Optional.empty();
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String key = equals < 0 ? pair : pair.substring(0, equals);
            if (URLDecoder.decode(key, StandardCharsets.UTF_8).equals(name)) {
                return Optional.of(equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    /** The page, read once from the class path. */
    private static final class Page {
        static final byte[] HTML = load();

        private static byte[] load() {
            try (InputStream in = WebApp.class.getResourceAsStream("index.html")) {
                if (in == null) {
                    throw new IllegalStateException("index.html is missing from the jar");
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
