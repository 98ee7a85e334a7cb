package io.meshj.proxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.internal.call.CallFixture;
import io.meshj.proxy.internal.call.FakeLease;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.testing.FuzzChannel;
import io.meshj.proxy.testing.FuzzChannel.Pieces;
import io.meshj.proxy.testing.LoggedFailures;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the HTTP/1 request path of a listener: bytes from a client go through the pipeline
 * {@link HttpServerPipelines#http1} installs (head timeout, Netty's {@code HttpServerCodec} with the
 * proxy's limits, {@link Http1ServerHandler}, and behind it the real call layer and {@link AbsoluteForm})
 * on an EmbeddedChannel, with the fakes of {@link CallFixture} as router and upstreams: every request
 * that reaches an upstream is answered 200 once it has been sent whole. Then the clock moves past every
 * timeout and the client goes away. Whatever the bytes:
 *
 * <ul>
 *   <li>no exception is raised, and none is caught and swallowed by the handler (it closes the
 *       connection on any), nor logged from a future's listener;</li>
 *   <li>what the client receives reads as well-formed HTTP/1.1 responses (a HEAD's without a body), at
 *       most one per request the codec decoded, and a 408 for a head the timeout cut short;</li>
 *   <li>every request an upstream receives has its target in origin form (or {@code *}) and at most
 *       one Host, and no upstream is misused (written after release, tunnelled);</li>
 *   <li>no buffer is left unreleased.</li>
 * </ul>
 *
 * <p>Seeds ({@code Http1ServerFuzzTestInputs/serve/}): a GET, a POST with a pipelined GET behind it, a
 * chunked body with trailers, an absolute-form target, HEAD then GET, two Host headers, HTTP/1.0 without
 * Host, {@code OPTIONS *}, a WebSocket upgrade, {@code Expect: 100-continue}, and a head cut short (the
 * first finding, of this harness: its 408 had not been allowed for).
 */
class Http1ServerFuzzTest {

    private static LoggedFailures logged;

    @BeforeAll
    static void collectLogs() {
        logged = LoggedFailures.collect();
    }

    @AfterAll
    static void stopCollecting() {
        logged.close();
    }

    @FuzzTest
    void serve(byte[] input) {
        CallFixture fixture = new CallFixture("10.1.0.1:8080");
        ProxyContext context = fixture.context(Direction.OUTBOUND);
        EmbeddedChannel client = fixture.channel();
        FuzzChannel ch = new FuzzChannel(client);
        HttpServerPipelines.http1(client.pipeline(), context);
        Queue<HttpMethod> methods = new ArrayDeque<>();
        client.pipeline().addBefore(Http1ServerHandler.NAME, "requests", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                // The codec also makes a (failed) request of a head cut short by the close (after a
                // 408, or the client's): nobody can answer that one.
                if (msg instanceof HttpRequest r && ctx.channel().isActive()) {
                    methods.add(r.method());
                }
                ctx.fireChannelRead(msg);
            }
        });
        List<Throwable> caught = new ArrayList<>();
        ChannelInboundHandler handler = (ChannelInboundHandler) client.pipeline().get(Http1ServerHandler.NAME);
        client.pipeline().replace(Http1ServerHandler.NAME, Http1ServerHandler.NAME, new CatchRecorder(handler, caught));
        Set<FakeLease> answered = new HashSet<>();
        byte[] received;
        try {
            ch.feed(input, Pieces.SPLIT, c -> answer(fixture, answered, ch));
            fixture.advance(Duration.ofMinutes(10), client);
            answer(fixture, answered, ch);
            client.close();
            client.runPendingTasks();
            client.checkException();
            received = ch.drainOutbound();
        } finally {
            fixture.upstreams().releaseAll();
            ch.finish();
        }
        if (!caught.isEmpty()) {
            AssertionError e = new AssertionError("the handler caught " + caught.size() + " exception(s)", caught.get(0));
            caught.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
        logged.assertNone();
        List<Integer> statuses = readResponses(received, new ArrayDeque<>(methods));
        // A head still incomplete when its timeout runs out is answered 408 too, as the last answer.
        int timedOut = statuses.isEmpty() || statuses.get(statuses.size() - 1) != 408 ? 0 : 1;
        assertThat(statuses.size() - timedOut).as("answers %s to %s requests decoded", statuses, methods.size())
                .isLessThanOrEqualTo(methods.size());
        for (FakeLease lease : fixture.upstreams().leases()) {
            HttpRequest head = lease.head();
            if (head == null) {
                continue;
            }
            assertThat(head.uri()).as("target forwarded").matches(u -> u.startsWith("/") || u.equals("*"));
            assertThat(head.headers().getAll(HttpHeaderNames.HOST)).as("Host forwarded").hasSizeLessThanOrEqualTo(1);
        }
    }

    /** Answers each request that reached an upstream whole and is not answered yet. */
    private static void answer(CallFixture fixture, Set<FakeLease> answered, FuzzChannel ch) {
        for (FakeLease lease : new ArrayList<>(fixture.upstreams().leases())) {
            if (answered.contains(lease) || !lease.requestEnded() || lease.releasedReusable() != null
                    || lease.resetError() != null) {
                continue;
            }
            answered.add(lease);
            boolean head = HttpMethod.HEAD.equals(lease.head().method());
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    head ? Unpooled.EMPTY_BUFFER : ch.alloc().copyOf("ok".getBytes(StandardCharsets.US_ASCII), 0, 2));
            HttpUtil.setContentLength(r, 2);
            lease.respond(r);
        }
    }

    /** Reads what the client received as HTTP/1.1 responses; returns the status of each final response. */
    private static List<Integer> readResponses(byte[] received, Queue<HttpMethod> methods) {
        EmbeddedChannel reader = new EmbeddedChannel(new HttpResponseDecoder() {
            @Override
            protected boolean isContentAlwaysEmpty(HttpMessage msg) {
                // As a client knows: the answer to a HEAD has no body. 1xx are followed by the real answer.
                if (msg instanceof HttpResponse r && r.status().code() >= 200 && HttpMethod.HEAD.equals(methods.poll())) {
                    return true;
                }
                return super.isContentAlwaysEmpty(msg);
            }
        });
        List<Integer> statuses = new ArrayList<>();
        try {
            reader.writeInbound(Unpooled.wrappedBuffer(received));
            reader.finish();
            for (Object o; (o = reader.readInbound()) != null; ) {
                try {
                    HttpObject http = (HttpObject) o;
                    assertThat(http.decoderResult().isSuccess()).as("well-formed: %s in %s", http,
                            new String(received, StandardCharsets.ISO_8859_1)).isTrue();
                    if (http instanceof HttpResponse r && r.status().code() >= 200) {
                        statuses.add(r.status().code());
                    }
                } finally {
                    ReferenceCountUtil.release(o);
                }
            }
        } finally {
            reader.finishAndReleaseAll();
        }
        return statuses;
    }

    /**
     * Stands in for the real handler, passing it every event, to record the exceptions it catches:
     * {@link Http1ServerHandler} closes the connection on any, so they would go unnoticed.
     */
    private static final class CatchRecorder extends ChannelInboundHandlerAdapter {
        private final ChannelInboundHandler real;
        private final List<Throwable> caught;

        CatchRecorder(ChannelInboundHandler real, List<Throwable> caught) {
            this.real = real;
            this.caught = caught;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
            real.handlerAdded(ctx);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
            real.handlerRemoved(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            real.channelRead(ctx, msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            real.channelReadComplete(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            real.channelInactive(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            real.channelWritabilityChanged(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            real.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
            caught.add(cause);
            real.exceptionCaught(ctx, cause);
        }
    }
}
