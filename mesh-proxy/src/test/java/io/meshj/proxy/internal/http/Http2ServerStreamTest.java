package io.meshj.proxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.call.CallFixture;
import io.meshj.proxy.internal.call.FakeLease;
import io.meshj.proxy.internal.h2.H2ConnectionHandler;
import io.meshj.proxy.testing.EmbeddedWire;
import io.meshj.proxy.testing.RecordingStream;
import io.meshj.proxy.testing.TrackedBuffers;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request path of an HTTP/2 connection without a socket: a real HTTP/2 client (meshj's own frame
 * handler) on one {@link EmbeddedChannel}, the listener's HTTP/2 pipeline ({@link HttpServerPipelines#http2})
 * on another, bytes carried between them; fake upstreams and a fake clock behind ({@link CallFixture}).
 */
class Http2ServerStreamTest {

    private final CallFixture fixture = new CallFixture("10.1.0.1:8080", "10.1.0.2:8080");
    private final H2ConnectionHandler clientHandler = H2ConnectionHandler.forClient().validateHeaders(true).build();
    private final EmbeddedChannel client = fixture.channel(clientHandler);
    private EmbeddedChannel server;
    private final List<RecordingStream> callers = new ArrayList<>();
    private final TrackedBuffers bodies = new TrackedBuffers();

    @BeforeEach
    void connect() {
        server = fixture.channel();
        HttpServerPipelines.http2(server.pipeline(), fixture.context(Direction.OUTBOUND));
        exchange();
    }

    @AfterEach
    void tearDown() {
        callers.forEach(RecordingStream::releaseAll);
        fixture.upstreams().releaseAll();
        client.finishAndReleaseAll();
        server.finishAndReleaseAll();
        bodies.assertAllReleased();
    }

    private void exchange() {
        EmbeddedWire.exchange(client, server);
    }

    private RecordingStream open(HttpObject head) {
        RecordingStream c = new RecordingStream(null);
        callers.add(c);
        c.stream = clientHandler.newStream(c);
        c.stream.write(head, client.newPromise());
        c.stream.flush();
        exchange();
        return c;
    }

    private static HttpRequest get(String path) {
        HttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.HOST, CallFixture.AUTHORITY);
        return r;
    }

    private static HttpRequest bodyless(HttpMethod method, String path) {
        HttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path, Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.HOST, CallFixture.AUTHORITY);
        return r;
    }

    private static HttpRequest upload(String path) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path);
        r.headers().set(HttpHeaderNames.HOST, CallFixture.AUTHORITY);
        return r;
    }

    private DefaultFullHttpResponse ok(String body) {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, bodies.of(body));
    }

    @Test
    void aRequestAndItsResponseCrossAsOneStream() {
        RecordingStream c = open(get("/hello"));
        FakeLease lease = fixture.upstreams().last();
        assertThat(lease.head().uri()).isEqualTo("/hello");
        assertThat(lease.isHttp2()).as("an HTTP/2 client's request goes upstream as HTTP/2").isTrue();

        lease.respond(ok("hi"));
        exchange();

        assertThat(c.status()).isEqualTo(200);
        assertThat(c.body()).isEqualTo("hi");
        assertThat(c.events).isEmpty();
        assertThat(fixture.metric("response_total", "status_code=\"200\"")).isEqualTo(1);
    }

    /** A request's HEADERS as the client wrote them, fields and all, bypassing the HTTP/1 conversion. */
    private int sendRaw(Http2Headers headers) {
        io.netty.channel.ChannelHandlerContext ctx = client.pipeline().context(clientHandler);
        int id = clientHandler.connection().local().incrementAndGetNextStreamId();
        clientHandler.encoder().writeHeaders(ctx, id, headers, 0, true, ctx.newPromise());
        ctx.flush();
        exchange();
        return id;
    }

    private static Http2Headers rawGet(String authority) {
        return new DefaultHttp2Headers().method("GET").scheme("http").path("/hello").authority(authority);
    }

    @Test
    void aHostFieldThatRepeatsTheAuthorityIsKeptOnce() {
        sendRaw(rawGet(CallFixture.AUTHORITY).add("host", CallFixture.AUTHORITY));

        assertThat(fixture.upstreams().last().head().headers().getAll(HttpHeaderNames.HOST))
                .containsExactly(CallFixture.AUTHORITY);
    }

    @Test
    void aHostFieldThatDiffersFromTheAuthorityIsMalformed() {
        int id = sendRaw(rawGet(CallFixture.AUTHORITY).add("host", "admin.internal:8080"));

        assertThat(fixture.upstreams().leases()).isEmpty();
        assertThat(clientHandler.connection().stream(id)).as("reset: the stream is gone").isNull();
        assertThat(fixture.metric("request_total")).isZero();
    }

    // ---- rapid reset ----

    /** Everything the client wrote so far, handed to the server as one read. */
    private void carryAsOneRead() {
        client.runPendingTasks();
        io.netty.buffer.CompositeByteBuf all = Unpooled.compositeBuffer();
        for (io.netty.buffer.ByteBuf b; (b = client.readOutbound()) != null; ) {
            all.addComponent(true, b);
        }
        server.writeInbound(all);
        exchange();
    }

    @Test
    void aStreamResetInTheReadThatOpenedItNeverReachesTheUpstream() {
        for (int i = 0; i < 50; i++) {
            RecordingStream c = new RecordingStream(null);
            callers.add(c);
            c.stream = clientHandler.newStream(c);
            c.stream.write(get("/expensive"), client.newPromise());
            c.stream.reset(Http2Error.CANCEL);
        }
        carryAsOneRead();

        assertThat(fixture.upstreams().leases()).as("HEADERS and RST_STREAM arrived together: nothing dispatched").isEmpty();
        assertThat(fixture.router().asked()).isEmpty();
        assertThat(fixture.metric("request_total")).isZero();
        assertThat(server.isOpen()).as("a client may cancel; only a budget spent ends its connection").isTrue();
        RecordingStream after = open(get("/hello"));
        fixture.upstreams().last().respond(ok("hi"));
        exchange();
        assertThat(after.status()).isEqualTo(200);
    }

    @Test
    void aClientThatResetsDispatchedStreamsBeyondItsBudgetLosesTheConnection() {
        CallFixture budgeted = new CallFixture("10.1.0.1:8080").resetBudget(3, 1);
        H2ConnectionHandler h = H2ConnectionHandler.forClient().validateHeaders(true).build();
        EmbeddedChannel c = budgeted.channel(h);
        EmbeddedChannel s = budgeted.channel();
        HttpServerPipelines.http2(s.pipeline(), budgeted.context(Direction.OUTBOUND));
        List<RecordingStream> streams = new ArrayList<>();
        try {
            EmbeddedWire.exchange(c, s);
            for (int i = 0; i < 4; i++) {
                if (i == 3) {
                    assertThat(s.isOpen()).as("three resets: the budget").isTrue();
                    assertThat(h.connection().goAwayReceived()).isFalse();
                }
                RecordingStream r = new RecordingStream(null);
                streams.add(r);
                r.stream = h.newStream(r);
                r.stream.write(upload("/upload"), c.newPromise());
                r.stream.flush();
                EmbeddedWire.exchange(c, s); // dispatched: the upstream has the request
                r.stream.reset(Http2Error.CANCEL);
                EmbeddedWire.exchange(c, s);
            }

            assertThat(h.connection().goAwayReceived()).isTrue();
            assertThat(s.isOpen()).isFalse();
            assertThat(budgeted.metric("meshj_proxy_errors_total", "reason=\"reset_flood\"")).isEqualTo(1);
            assertThat(budgeted.upstreams().leases()).as("four dispatched, no more").hasSize(4);
        } finally {
            streams.forEach(RecordingStream::releaseAll);
            budgeted.upstreams().releaseAll();
            c.finishAndReleaseAll();
            s.finishAndReleaseAll();
        }
    }

    @Test
    void theBudgetCountsPerClientAddressAndRefills() {
        io.meshj.core.testing.FakeTicker ticker = new io.meshj.core.testing.FakeTicker();
        io.meshj.proxy.internal.ResetBudget budget = new io.meshj.proxy.internal.ResetBudget(2, 1, ticker);
        java.net.InetSocketAddress a = new java.net.InetSocketAddress("10.0.0.7", 40000);
        java.net.InetSocketAddress sameHostOtherPort = new java.net.InetSocketAddress("10.0.0.7", 40001);
        assertThat(budget.spend(a)).isTrue();
        assertThat(budget.spend(sameHostOtherPort)).as("counted per client address, across connections").isTrue();
        assertThat(budget.spend(a)).isFalse();
        assertThat(budget.spend(new java.net.InetSocketAddress("10.0.0.8", 40000))).as("another client").isTrue();
        ticker.advance(Duration.ofSeconds(1));
        assertThat(budget.spend(a)).as("one more a second").isTrue();
        assertThat(budget.spend(a)).isFalse();
    }

    @Test
    void aClientResetCancelsTheUpstreamPassingItsReasonOn() {
        RecordingStream c = open(upload("/upload"));
        FakeLease lease = fixture.upstreams().last();

        c.stream.reset(Http2Error.ENHANCE_YOUR_CALM);
        exchange();

        assertThat(lease.resetError()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM);
        assertThat(lease.releasedReusable()).isFalse();
        assertThat(fixture.router().endpoint(0).pending()).isZero();
        assertThat(fixture.metric("request_total")).isEqualTo(1);
        assertThat(fixture.metric("response_total")).as("the client went away: no response, no failure").isZero();
    }

    @Test
    void anUpstreamResetBeforeTheHeadResetsTheClientsStreamWithTheSameCode() {
        // A method that may not be sent twice (an idempotent one is, below).
        RecordingStream c = open(bodyless(HttpMethod.DELETE, "/x"));
        fixture.upstreams().last().resetByPeer(Http2Error.INTERNAL_ERROR);
        exchange();

        assertThat(c.events).containsExactly("reset=INTERNAL_ERROR");
        assertThat(fixture.metric("response_total", "error=\"upstream_reset\"")).isEqualTo(1);
    }

    @Test
    void anIdempotentRequestResetBeforeTheHeadIsSentAgainToAnotherEndpoint() {
        RecordingStream c = open(get("/x"));
        FakeLease first = fixture.upstreams().last();
        first.resetByPeer(Http2Error.INTERNAL_ERROR);
        exchange();

        assertThat(fixture.upstreams().leases()).hasSize(2);
        FakeLease second = fixture.upstreams().last();
        assertThat(second.address()).isNotEqualTo(first.address());
        assertThat(second.head().uri()).isEqualTo("/x");
        second.respond(ok("hi"));
        exchange();

        assertThat(c.status()).isEqualTo(200);
        assertThat(c.body()).isEqualTo("hi");
        assertThat(c.events).isEmpty();
        assertThat(fixture.metric("response_total", "error=\"upstream_reset\"")).isEqualTo(1);
    }

    @Test
    void aRefusedStreamIsSentAgainWhenItsHeadIsAllOfIt() {
        RecordingStream c = open(get("/x"));
        FakeLease refused = fixture.upstreams().last();
        refused.refuse();

        assertThat(fixture.upstreams().leases()).as("resent on another stream").hasSize(2);
        assertThat(refused.releasedReusable()).isFalse();
        fixture.upstreams().last().respond(ok("second"));
        exchange();
        assertThat(c.status()).isEqualTo(200);
        assertThat(c.body()).isEqualTo("second");
    }

    @Test
    void aRefusedStreamWithABodyTellsTheClientItMayRetry() {
        RecordingStream c = open(upload("/upload"));
        c.stream.write(new DefaultHttpContent(bodies.of("abc")), client.newPromise());
        c.stream.flush();
        exchange();
        fixture.upstreams().last().refuse();
        exchange();

        assertThat(fixture.upstreams().leases()).hasSize(1);
        assertThat(c.events).as("REFUSED_STREAM: the client may retry").containsExactly("refused");
    }

    @Test
    void anEarlyAnswerLetsTheClientFinishForAWhileThenResetsWithNoError() {
        fixture.router().failWith(ProxyError.NO_ENDPOINTS);
        RecordingStream c = open(upload("/upload"));
        assertThat(c.status()).isEqualTo(503);
        assertThat(c.events).as("the client may still send the rest").isEmpty();

        c.stream.write(new DefaultHttpContent(bodies.of("more")), client.newPromise());
        c.stream.flush();
        exchange();
        assertThat(c.events).isEmpty();

        fixture.advance(Duration.ofSeconds(2), server);
        exchange();
        assertThat(c.events).containsExactly("reset=NO_ERROR");
    }

    @Test
    void aRequestIsSentAgainAfterThreeRefusalsAtMost() {
        RecordingStream c = open(get("/x"));
        for (int i = 0; i < 4; i++) {
            fixture.upstreams().last().refuse();
        }
        exchange();

        assertThat(fixture.upstreams().leases()).as("the first try and three resends").hasSize(4);
        assertThat(c.events).containsExactly("refused");
    }

    @Test
    void drainingSendsGoAwayAndLetsTheStreamInFlightFinish() {
        RecordingStream c = open(get("/x"));
        server.pipeline().fireUserEventTriggered(io.meshj.proxy.internal.DrainEvent.INSTANCE);
        exchange();
        assertThat(clientHandler.connection().goAwayReceived()).isTrue();

        fixture.upstreams().last().respond(ok("still answered"));
        exchange();
        assertThat(c.status()).isEqualTo(200);
        assertThat(c.body()).isEqualTo("still answered");
    }
}
