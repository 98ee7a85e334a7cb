package io.meshj.proxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.profile.RequestMatch;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.core.retry.RetryBudget;
import io.meshj.core.tap.TapEvent;
import io.meshj.core.tap.TapFilter;
import io.meshj.core.tap.TapSubscription;
import io.meshj.proxy.internal.Direction;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.call.CallFixture;
import io.meshj.proxy.internal.call.FakeLease;
import io.meshj.proxy.internal.call.ProxyContext;
import io.meshj.proxy.testing.TrackedBuffers;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The request path of an HTTP/1 connection without a socket: the real {@link Http1ServerHandler} and
 * call layer on an {@link EmbeddedChannel} (the client writes HttpObjects in, reads them out), with a
 * fake router, fake upstreams and a fake clock ({@link CallFixture}).
 */
class ProxyCallTest {

    private static final Route RETRYABLE = Route.builder("POST /vote").condition(RequestMatch.PathRegex.of("/vote"))
            .retryable(true).build();

    private CallFixture fixture = new CallFixture("10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080");
    private ProxyContext context;
    private EmbeddedChannel client;
    private final List<HttpObject> received = new ArrayList<>();
    /** Every body the test made: each must have been released exactly once by the end. */
    private final TrackedBuffers bodies = new TrackedBuffers();

    @AfterEach
    void tearDown() {
        received.forEach(ReferenceCountUtil::release);
        if (client != null) {
            client.finishAndReleaseAll();
        }
        fixture.upstreams().releaseAll();
        bodies.assertAllReleased();
    }

    private ByteBuf bytes(String s) {
        return bodies.of(s);
    }

    private EmbeddedChannel connect(Direction direction) {
        context = fixture.context(direction);
        client = fixture.channel(new Http1ServerHandler(context));
        return client;
    }

    private EmbeddedChannel connect() {
        return connect(Direction.OUTBOUND);
    }

    private static HttpRequest get(String path) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        r.headers().set(HttpHeaderNames.HOST, CallFixture.AUTHORITY);
        return r;
    }

    /** A request without body, with {@code method}. */
    private static HttpRequest bodyless(HttpMethod method, String path) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, path);
        r.headers().set(HttpHeaderNames.HOST, CallFixture.AUTHORITY);
        return r;
    }

    private static HttpRequest post(String path, int length) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path);
        r.headers().set(HttpHeaderNames.HOST, CallFixture.AUTHORITY);
        HttpUtil.setContentLength(r, length);
        return r;
    }

    /** A request: its head, and for a POST its body in one last part. */
    private void send(HttpRequest head, String body) {
        client.writeInbound(head);
        if (body != null) {
            client.writeInbound(new DefaultLastHttpContent(bytes(body)));
        } else {
            client.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT); // the decoder ends every request so
        }
    }

    private FullHttpResponse response(int status, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                bytes(body));
        HttpUtil.setContentLength(r, body.length());
        return r;
    }

    /** What the client was sent so far. */
    private List<HttpObject> received() {
        client.runPendingTasks();
        Object o;
        while ((o = client.readOutbound()) != null) {
            if (o instanceof HttpObject http) {
                received.add(http);
            } else {
                ReferenceCountUtil.release(o); // the empty write a connection closes behind
            }
        }
        return received;
    }

    private HttpResponse responseHead() {
        return received().stream().filter(HttpResponse.class::isInstance).map(HttpResponse.class::cast)
                .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no response: " + received));
    }

    private String responseBody() {
        StringBuilder b = new StringBuilder();
        for (HttpObject o : received()) {
            if (o instanceof HttpContent c) {
                b.append(c.content().toString(StandardCharsets.UTF_8));
            }
        }
        return b.toString();
    }

    // ---- streaming ----

    @Test
    void aRequestGoesToItsTargetAndItsResponseStreamsBackPartByPart() {
        connect();
        send(get("/hello"), null);

        FakeLease lease = fixture.upstreams().last();
        assertThat(lease.address().toString()).isEqualTo("10.1.0.1:8080");
        assertThat(lease.head().headers().contains(HttpHeaderNames.HOST)).isTrue();
        assertThat(lease.head().uri()).isEqualTo("/hello");
        assertThat(lease.requestEnded()).as("a bodyless request goes whole").isTrue();

        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpUtil.setTransferEncodingChunked(head, true);
        lease.respond(head, new DefaultHttpContent(bytes("hel")));
        assertThat(responseHead().status().code()).isEqualTo(200);
        assertThat(responseBody()).as("relayed before the response ended").isEqualTo("hel");
        assertThat(fixture.metric("response_total")).as("not recorded before the end").isZero();

        lease.respond(new DefaultLastHttpContent(bytes("lo")));
        assertThat(responseBody()).isEqualTo("hello");
        assertThat(lease.releasedReusable()).as("keep-alive on both sides: back to the pool").isTrue();
        assertThat(fixture.router().endpoint(0).pending()).as("the pick's outcome was told").isZero();
        assertThat(fixture.metric("request_total", "direction=\"outbound\"", "authority=\"" + CallFixture.AUTHORITY + "\""))
                .isEqualTo(1);
        assertThat(fixture.metric("response_total", "status_code=\"200\"", "classification=\"success\"")).isEqualTo(1);
    }

    @Test
    void bodyPartsThatArriveBeforeTheUpstreamWaitAndFollowTheHeadInOrder() {
        fixture.upstreams().hold();
        connect();
        client.writeInbound(post("/upload", 6));
        assertThat(client.config().isAutoRead()).as("reading stops until there is an upstream").isFalse();
        client.writeInbound(new DefaultHttpContent(bytes("abc")));
        client.writeInbound(new DefaultLastHttpContent(bytes("def")));

        FakeLease lease = fixture.upstreams().completeHeld();
        assertThat(lease.head().uri()).isEqualTo("/upload");
        assertThat(lease.body()).isEqualTo("abcdef");
        assertThat(lease.requestEnded()).isTrue();
        assertThat(lease.flushes()).isPositive();
    }

    @Test
    void theClientIsReadOnlyWhileTheUpstreamTakesWrites() {
        connect();
        client.writeInbound(post("/upload", 6));
        FakeLease lease = fixture.upstreams().last();
        assertThat(client.config().isAutoRead()).isTrue();

        lease.writable(false);
        assertThat(client.config().isAutoRead()).as("the upstream's window is full").isFalse();
        lease.writable(true);
        assertThat(client.config().isAutoRead()).isTrue();

        client.writeInbound(new DefaultLastHttpContent(bytes("abcdef")));
        // The other way: a client that takes no more holds the upstream's response back.
        client.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(1, 2));
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpUtil.setTransferEncodingChunked(head, true);
        lease.deliver(head);
        assertThat(lease.isReading()).as("written, not yet flushed: the client takes no more").isFalse();
        lease.readComplete(); // the read ends: the relayed head is flushed, the client's buffer drains
        assertThat(lease.isReading()).isTrue();
        lease.respond(new DefaultLastHttpContent(bytes("ok")));
        assertThat(responseHead().status().code()).isEqualTo(200);
        assertThat(responseBody()).isEqualTo("ok");
    }

    @Test
    void aProxyAnswerIsRecordedAndTappedOnceWithItsReason() throws Exception {
        fixture.router().failWith(ProxyError.NO_ENDPOINTS);
        try (TapSubscription tap = fixture.tap().subscribe(TapFilter.ALL).open()) {
            connect();
            send(get("/x"), null);

            assertThat(responseHead().status().code()).isEqualTo(503);
            assertThat(responseHead().headers().get("meshj-proxy-error")).startsWith("no endpoints");
            assertThat(fixture.metric("request_total")).isEqualTo(1);
            assertThat(fixture.metric("response_total", "status_code=\"503\"")).isEqualTo(1);
            assertThat(fixture.metric("meshj_proxy_errors_total", "reason=\"no_endpoints\"")).isEqualTo(1);
            assertThat(events(tap)).extracting(e -> e.getClass().getSimpleName())
                    .containsExactly("RequestInit", "ResponseInit", "ResponseEnd");
        }
    }

    private static List<TapEvent> events(TapSubscription s) {
        List<TapEvent> out = new ArrayList<>();
        TapEvent e;
        while ((e = s.poll()) != null) {
            out.add(e);
        }
        return out;
    }

    @Test
    void latencyIsMeasuredOnTheInjectedClockFromTheRequestHead() {
        connect();
        send(get("/slow"), null);
        fixture.advance(Duration.ofMillis(15), client);
        fixture.upstreams().last().respond(response(200, "ok"));

        assertThat(fixture.metric("response_latency_ms_bucket", "le=\"10.0\"")).isZero();
        assertThat(fixture.metric("response_latency_ms_bucket", "le=\"20.0\"")).isEqualTo(1);
    }

    // ---- retries ----

    private CallFixture retrying(RetryBudget.Spec budget) {
        return fixture.profile(ServiceProfile.builder("web.default.svc.cluster.local").route(RETRYABLE)
                .retryBudget(budget).build());
    }

    @Test
    void aRetryable5xxIsRetriedWithinTheBudgetOnAnotherPickWithItsBodyReplayed() throws Exception {
        retrying(RetryBudget.Spec.DEFAULT);
        try (TapSubscription tap = fixture.tap().subscribe(TapFilter.ALL).open()) {
            connect();
            send(post("/vote", 5), "hello");

            FakeLease first = fixture.upstreams().last();
            assertThat(first.body()).isEqualTo("hello");
            first.respond(response(503, "busy"));

            assertThat(fixture.upstreams().leases()).hasSize(2);
            FakeLease second = fixture.upstreams().last();
            assertThat(second.address()).as("routed anew (the fake router takes the next endpoint)")
                    .isNotEqualTo(first.address());
            assertThat(second.head().uri()).isEqualTo("/vote");
            assertThat(second.body()).as("the body was kept and sent again").isEqualTo("hello");
            assertThat(first.releasedReusable()).as("a whole response: its connection is fine").isTrue();
            assertThat(received()).as("the client saw nothing of the failed attempt").isEmpty();

            second.respond(response(200, "ok"));
            assertThat(responseHead().status().code()).isEqualTo(200);
            assertThat(responseBody()).isEqualTo("ok");

            // Each attempt is counted where it went; the route sees one request, and two actual ones.
            assertThat(fixture.metric("request_total")).isEqualTo(2);
            assertThat(fixture.metric("response_total", "status_code=\"503\"", "classification=\"failure\"")).isEqualTo(1);
            assertThat(fixture.metric("response_total", "status_code=\"200\"", "classification=\"success\"")).isEqualTo(1);
            assertThat(fixture.metric("route_request_total", "rt_route=\"POST /vote\"")).isEqualTo(1);
            assertThat(fixture.metric("route_actual_request_total", "rt_route=\"POST /vote\"")).isEqualTo(2);
            assertThat(fixture.metric("route_response_total", "classification=\"success\"")).isEqualTo(1);
            assertThat(fixture.metric("route_response_total", "classification=\"failure\"")).isZero();
            assertThat(fixture.metric("route_actual_response_total", "classification=\"failure\"")).isEqualTo(1);
            assertThat(fixture.router().endpoint(0).pending()).isZero();
            assertThat(fixture.router().endpoint(1).pending()).isZero();
            assertThat(events(tap)).as("tapped once, whatever the attempts").extracting(e -> e.getClass().getSimpleName())
                    .containsExactly("RequestInit", "ResponseInit", "ResponseEnd");
        }
    }

    @Test
    void noRetryOnceTheBudgetIsSpent() {
        // No deposits earn anything, and the reserve holds one retry per second.
        retrying(new RetryBudget.Spec(0, 1, Duration.ofSeconds(1)));
        connect();
        send(post("/vote", 2), "hi");
        fixture.upstreams().last().respond(response(503, "busy"));
        fixture.upstreams().last().respond(response(503, "still busy"));

        assertThat(fixture.upstreams().leases()).as("one retry, then the budget is empty").hasSize(2);
        assertThat(responseHead().status().code()).isEqualTo(503);
        assertThat(responseBody()).isEqualTo("still busy");
    }

    @Test
    void aRequestIsAttemptedThreeTimesAtMost() {
        retrying(RetryBudget.Spec.DEFAULT);
        connect();
        send(post("/vote", 2), "hi");
        for (int i = 0; i < 3; i++) {
            fixture.upstreams().last().respond(response(500, "attempt " + i));
        }

        assertThat(fixture.upstreams().leases()).hasSize(3);
        assertThat(responseHead().status().code()).isEqualTo(500);
        assertThat(responseBody()).isEqualTo("attempt 2");
    }

    @Test
    void aBodyOf64KiBIsReplayedByteForByte() {
        retrying(RetryBudget.Spec.DEFAULT);
        connect();
        String body = "x".repeat(64 * 1024 - 1) + "y";
        send(post("/vote", body.length()), body);
        fixture.upstreams().last().respond(response(503, "busy"));

        assertThat(fixture.upstreams().leases()).hasSize(2);
        assertThat(fixture.upstreams().last().body()).isEqualTo(body);
    }

    @Test
    void aBodyLargerThan64KiBIsNotKeptAndNotRetried() {
        retrying(RetryBudget.Spec.DEFAULT);
        connect();
        client.writeInbound(post("/vote", 64 * 1024 + 1));
        client.writeInbound(new DefaultHttpContent(bytes("x".repeat(64 * 1024))));
        client.writeInbound(new DefaultLastHttpContent(bytes("y")));
        fixture.upstreams().last().respond(response(503, "busy"));

        assertThat(fixture.upstreams().leases()).hasSize(1);
        assertThat(responseHead().status().code()).isEqualTo(503);
    }

    @Test
    void aConnectFailureIsRetriedToo() {
        retrying(RetryBudget.Spec.DEFAULT);
        fixture.upstreams().refuseNext(1);
        connect();
        // Bodyless, so whole when the connection fails at once (a request is retried only once all of it was kept).
        send(get("/vote"), null);

        assertThat(fixture.upstreams().leases()).as("the first connection was refused").hasSize(1);
        fixture.upstreams().last().respond(response(200, "ok"));
        assertThat(responseHead().status().code()).isEqualTo(200);
        assertThat(fixture.metric("response_total", "error=\"connect_failed\"")).isEqualTo(1);
    }

    @Test
    void theRouteTimeoutCoversEveryAttempt() {
        fixture.profile(ServiceProfile.builder("web.default.svc.cluster.local")
                .route(Route.builder("POST /vote").condition(RequestMatch.PathRegex.of("/vote")).retryable(true)
                        .timeout(Duration.ofSeconds(1)).build())
                .build());
        connect();
        send(post("/vote", 2), "hi");
        fixture.advance(Duration.ofMillis(600), client);
        fixture.upstreams().last().respond(response(503, "busy"));
        FakeLease second = fixture.upstreams().last();
        assertThat(fixture.upstreams().leases()).hasSize(2);

        fixture.advance(Duration.ofMillis(399), client);
        assertThat(received()).as("not yet: 999 ms since the request head").isEmpty();
        fixture.advance(Duration.ofMillis(1), client);

        assertThat(responseHead().status().code()).isEqualTo(504);
        assertThat(responseHead().headers().get("meshj-proxy-error"))
                .isEqualTo("response timeout: no response within 1s (the timeout of route POST /vote)");
        assertThat(second.releasedReusable()).as("the attempt in flight is abandoned").isFalse();
        assertThat(fixture.router().endpoint(1).pending()).isZero();
        assertThat(fixture.metric("response_total", "status_code=\"504\"")).isEqualTo(1);
    }

    @Test
    void anInboundRouteIsNeverRetried() {
        retrying(RetryBudget.Spec.DEFAULT);
        connect(Direction.INBOUND);
        send(post("/vote", 2), "hi");
        // Inbound goes to the application, which the inbound router would name; the fake routes anyway.
        fixture.upstreams().last().respond(response(503, "busy"));

        assertThat(fixture.upstreams().leases()).hasSize(1);
        assertThat(responseHead().status().code()).isEqualTo(503);
    }

    // ---- retries without a retryable route: requests that never reached an application, idempotent ones ----

    /** A server proxy's own answer for {@code error}, as a client's proxy receives it. */
    private FullHttpResponse serverProxyAnswer(ProxyError error) {
        FullHttpResponse r = response(error.httpStatus(), error.reason() + "\n");
        r.headers().set("meshj-proxy-error", error.reason());
        return r;
    }

    @Test
    void aGetWhoseUpstreamClosesBeforeAnsweringIsSentAgainToAnotherEndpoint() {
        connect();
        send(get("/x"), null);
        FakeLease first = fixture.upstreams().last();
        first.close(new java.io.IOException("Connection reset by peer"));

        assertThat(fixture.upstreams().leases()).hasSize(2);
        FakeLease second = fixture.upstreams().last();
        assertThat(second.address()).isNotEqualTo(first.address());
        assertThat(second.head().uri()).isEqualTo("/x");
        assertThat(received()).as("the client saw nothing of the failed attempt").isEmpty();
        second.respond(response(200, "ok"));

        assertThat(responseHead().status().code()).isEqualTo(200);
        assertThat(responseBody()).isEqualTo("ok");
        assertThat(first.releasedReusable()).isFalse();
        assertThat(fixture.router().endpoint(0).pending()).isZero();
        assertThat(fixture.metric("response_total", "error=\"upstream_failed\"")).isEqualTo(1);
        assertThat(fixture.metric("response_total", "status_code=\"200\"")).isEqualTo(1);
    }

    @Test
    void anyBodylessRequestIsSentAgainAfterAConnectFailure() {
        fixture.upstreams().refuseNext(1);
        connect();
        send(bodyless(HttpMethod.DELETE, "/x"), null);

        assertThat(fixture.upstreams().leases()).as("the first connection was refused").hasSize(1);
        assertThat(fixture.upstreams().last().address().toString()).isEqualTo("10.1.0.2:8080");
        fixture.upstreams().last().respond(response(204, ""));
        assertThat(responseHead().status().code()).isEqualTo(204);
        assertThat(fixture.metric("response_total", "error=\"connect_failed\"")).isEqualTo(1);
    }

    @Test
    void aConnectFailureIsNotRetriedWhenTheServiceHasNoOtherEndpoint() {
        fixture = new CallFixture("10.1.0.1:8080");
        fixture.upstreams().refuseNext(1);
        connect();
        send(get("/x"), null);

        assertThat(fixture.upstreams().leases()).as("the same endpoint would refuse it again").isEmpty();
        assertThat(responseHead().status().code()).isEqualTo(502);
        assertThat(responseHead().headers().get("meshj-proxy-error")).isEqualTo(ProxyError.CONNECT_FAILED.reason());
    }

    @Test
    void aGetWhoseUpstreamClosesBeforeAnsweringIsSentAgainEvenToTheOnlyEndpoint() {
        fixture = new CallFixture("10.1.0.1:8080");
        connect();
        send(get("/x"), null);
        // The server closed a kept-alive connection as the request went out on it: a new one will do.
        fixture.upstreams().last().close(null);

        assertThat(fixture.upstreams().leases()).hasSize(2);
        fixture.upstreams().last().respond(response(200, "ok"));
        assertThat(responseHead().status().code()).isEqualTo(200);
    }

    @Test
    void aRequestWithABodyIsNotSentAgainWithoutARetryableRoute() {
        connect();
        send(post("/vote", 2), "hi");
        fixture.upstreams().last().close(new java.io.IOException("Connection reset by peer"));

        assertThat(fixture.upstreams().leases()).as("nothing was kept to send again").hasSize(1);
        assertThat(responseHead().status().code()).isEqualTo(502);
    }

    @Test
    void aServerProxysAnswerThatItsApplicationWasNotReachedIsRetriedWhateverTheMethod() {
        fixture.router().meshed();
        connect();
        send(bodyless(HttpMethod.DELETE, "/x"), null);
        FakeLease first = fixture.upstreams().last();
        first.respond(serverProxyAnswer(ProxyError.CONNECT_FAILED));

        assertThat(fixture.upstreams().leases()).hasSize(2);
        FakeLease second = fixture.upstreams().last();
        assertThat(second.head().headers().get("meshj-dst-addr")).as("names the endpoint it goes to now")
                .isEqualTo("10.1.0.2:8080");
        assertThat(first.releasedReusable()).as("a whole answer: its stream ended well").isTrue();
        second.respond(response(204, ""));
        assertThat(responseHead().status().code()).isEqualTo(204);
        assertThat(fixture.metric("response_total", "status_code=\"502\"", "classification=\"failure\"")).isEqualTo(1);
    }

    @Test
    void aServerProxysAnswerThatItsApplicationFailedIsRetriedForAnIdempotentRequestOnly() {
        fixture.router().meshed();
        connect();
        send(get("/x"), null);
        fixture.upstreams().last().respond(serverProxyAnswer(ProxyError.UPSTREAM_FAILED));
        assertThat(fixture.upstreams().leases()).as("GET: sent again").hasSize(2);
        fixture.upstreams().last().respond(response(200, "ok"));
        assertThat(responseHead().status().code()).isEqualTo(200);

        send(bodyless(HttpMethod.DELETE, "/x"), null);
        fixture.upstreams().last().respond(serverProxyAnswer(ProxyError.UPSTREAM_FAILED));
        assertThat(fixture.upstreams().leases()).as("DELETE: the application may have done it").hasSize(3);
        assertThat(responseHead().status().code()).isEqualTo(502);
        assertThat(responseHead().headers().get("meshj-proxy-error")).isEqualTo(ProxyError.UPSTREAM_FAILED.reason());
    }

    @Test
    void aProxyErrorHeaderIsTrustedOnlyFromAServerProxy() {
        connect(); // the endpoints are not meshed: what answers is an application, whatever it says
        send(bodyless(HttpMethod.DELETE, "/x"), null);
        fixture.upstreams().last().respond(serverProxyAnswer(ProxyError.CONNECT_FAILED));

        assertThat(fixture.upstreams().leases()).hasSize(1);
        assertThat(responseHead().status().code()).isEqualTo(502);
    }

    @Test
    void aServerProxysOtherAnswersAndItsApplicationsFailuresAreNotRetried() {
        fixture.router().meshed();
        connect();
        send(get("/x"), null);
        fixture.upstreams().last().respond(serverProxyAnswer(ProxyError.TIMEOUT));
        assertThat(responseHead().status().code()).isEqualTo(504);
        send(get("/y"), null);
        fixture.upstreams().last().respond(response(503, "the application's own"));

        assertThat(fixture.upstreams().leases()).hasSize(2);
        assertThat(responseHead().status().code()).isEqualTo(503);
    }

    @Test
    void theInboundProxyRemovesAProxyErrorHeaderItsApplicationSent() {
        connect(Direction.INBOUND);
        send(get("/x"), null);
        // The application passes on its own proxy's answer to a call it made: not this request's fate.
        fixture.upstreams().last().respond(serverProxyAnswer(ProxyError.CONNECT_FAILED));

        assertThat(responseHead().status().code()).isEqualTo(502);
        assertThat(responseHead().headers().contains("meshj-proxy-error")).isFalse();
    }

    @Test
    void retriesWithoutARetryableRouteAreAttemptsAtMostThree() {
        connect();
        send(get("/x"), null);
        for (int i = 0; i < 3; i++) {
            fixture.upstreams().last().resetByPeer(io.netty.handler.codec.http2.Http2Error.INTERNAL_ERROR);
        }

        assertThat(fixture.upstreams().leases()).hasSize(3);
        assertThat(responseHead().status().code()).isEqualTo(502);
        assertThat(responseHead().headers().get("meshj-proxy-error")).isEqualTo(ProxyError.UPSTREAM_FAILED.reason());
    }

    @Test
    void retriesWithoutARetryableRouteSpendTheServicesBudget() {
        // No retryable route; the budget earns nothing and holds one retry a second.
        fixture.profile(ServiceProfile.builder("web.default.svc.cluster.local")
                .retryBudget(new RetryBudget.Spec(0, 1, Duration.ofSeconds(1))).build());
        connect();
        send(get("/x"), null);
        fixture.upstreams().last().close(null);
        fixture.upstreams().last().respond(response(200, "ok"));
        assertThat(responseHead().status().code()).isEqualTo(200);

        send(get("/y"), null);
        fixture.upstreams().last().close(null);

        assertThat(fixture.upstreams().leases()).as("one retry, then the budget is empty").hasSize(3);
        assertThat(responseHead().status().code()).isEqualTo(502);
    }

    // ---- cancellation ----

    @Test
    void aClientThatGoesAwayCancelsItsUpstreamAndIsNoFailure() {
        connect();
        client.writeInbound(post("/upload", 10));
        client.writeInbound(new DefaultHttpContent(bytes("abc")));
        FakeLease lease = fixture.upstreams().last();

        client.close();

        assertThat(lease.releasedReusable()).as("an exchange cut short cannot be reused").isFalse();
        assertThat(fixture.router().endpoint(0).pending()).as("cancelled, not failed").isZero();
        assertThat(fixture.metric("request_total")).isEqualTo(1);
        assertThat(fixture.metric("response_total")).as("no response, and no failure of the destination").isZero();
    }

    @Test
    void anUpstreamThatClosesBeforeItsHeadIsA502() {
        connect();
        // A method that may not be sent twice (an idempotent one is, see the retries without a route).
        send(bodyless(HttpMethod.DELETE, "/x"), null);
        fixture.upstreams().last().close(new java.io.IOException("Connection reset by peer"));

        assertThat(responseHead().status().code()).isEqualTo(502);
        assertThat(responseHead().headers().get("meshj-proxy-error"))
                .startsWith("upstream closed the connection before responding");
        assertThat(fixture.metric("response_total", "status_code=\"502\"")).isEqualTo(1);
        assertThat(fixture.router().endpoint(0).pending()).isZero();
    }

    @Test
    void anUpstreamThatFailsMidResponseClosesTheClientConnection() {
        connect();
        send(get("/x"), null);
        FakeLease lease = fixture.upstreams().last();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpUtil.setTransferEncodingChunked(head, true);
        lease.respond(head);
        lease.close(null);

        assertThat(responseHead().status().code()).isEqualTo(200);
        assertThat(client.isOpen()).as("HTTP/1 cannot say it otherwise").isFalse();
        assertThat(fixture.metric("response_total", "error=\"upstream_failed\"")).isEqualTo(1);
    }

    // ---- overload ----

    @Test
    void whileTheHeapIsTooFullNewRequestsAre503WithoutGoingUpstream() {
        connect();
        context.lifecycle().limits(Integer.MAX_VALUE, () -> true);
        send(get("/x"), null);

        assertThat(responseHead().status().code()).isEqualTo(503);
        assertThat(responseHead().headers().get("meshj-proxy-error")).isEqualTo("proxy overloaded");
        assertThat(fixture.upstreams().leases()).isEmpty();
        assertThat(client.isOpen()).as("the connection stays: the next request may be served").isTrue();
        assertThat(fixture.metric("meshj_proxy_errors_total", "reason=\"overloaded\"")).isEqualTo(1);
    }

    // ---- requests that name their destination twice ----

    @Test
    void twoHostHeadersAre400AndNothingGoesUpstream() {
        connect();
        HttpRequest r = get("/hello");
        r.headers().add(HttpHeaderNames.HOST, "admin.internal:8080");
        client.writeInbound(r);

        assertThat(responseHead().status().code()).isEqualTo(400);
        assertThat(responseHead().headers().get("meshj-proxy-error")).isEqualTo("malformed request: more than one Host header");
        assertThat(fixture.upstreams().leases()).isEmpty();
        assertThat(fixture.router().asked()).as("not routed by either").isEmpty();
        assertThat(client.isOpen()).as("a request the proxy and the application could read differently ends the connection")
                .isFalse();
    }

    @Test
    void anAbsoluteFormTargetIsRoutedByItsOwnAuthorityAndForwardedInOriginForm() {
        connect();
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "http://" + CallFixture.AUTHORITY + "/hello?x=1#frag");
        r.headers().set(HttpHeaderNames.HOST, "elsewhere.internal:9090");
        send(r, null);

        assertThat(fixture.router().asked()).extracting(String::valueOf).containsExactly(CallFixture.AUTHORITY);
        FakeLease lease = fixture.upstreams().last();
        assertThat(lease.head().uri()).isEqualTo("/hello?x=1");
        assertThat(lease.head().headers().getAll(HttpHeaderNames.HOST)).containsExactly(CallFixture.AUTHORITY);
        lease.respond(response(200, "ok"));
        assertThat(responseHead().status().code()).isEqualTo(200);
    }

    @Test
    void anAbsoluteFormTargetWithUserInformationIs400() {
        connect();
        client.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://me@" + CallFixture.AUTHORITY + "/"));

        assertThat(responseHead().status().code()).isEqualTo(400);
        assertThat(fixture.upstreams().leases()).isEmpty();
    }

    // ---- more of the response and retry paths ----

    @Test
    void aFailedHeadWithMoreToComeIsGivenUpAndWhatFollowsItIsDropped() {
        retrying(RetryBudget.Spec.DEFAULT);
        connect();
        send(post("/vote", 2), "hi");
        FakeLease first = fixture.upstreams().last();
        // As an HTTP/1 codec delivers it: the head first, its body afterwards.
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SERVICE_UNAVAILABLE);
        HttpUtil.setContentLength(head, 4);
        first.respond(head);

        assertThat(fixture.upstreams().leases()).hasSize(2);
        assertThat(first.releasedReusable()).as("its body is still coming: the connection cannot be reused").isFalse();
        first.respond(new DefaultLastHttpContent(bytes("busy"))); // the given-up attempt's rest: dropped
        assertThat(received()).isEmpty();

        fixture.upstreams().last().respond(response(200, "ok"));
        assertThat(responseHead().status().code()).isEqualTo(200);
        assertThat(responseBody()).isEqualTo("ok");
    }

    @Test
    void anUpstreamResetBeforeTheHeadIsRetriedToo() {
        retrying(RetryBudget.Spec.DEFAULT);
        connect();
        send(post("/vote", 2), "hi");
        fixture.upstreams().last().resetByPeer(io.netty.handler.codec.http2.Http2Error.INTERNAL_ERROR);

        assertThat(fixture.upstreams().leases()).hasSize(2);
        assertThat(fixture.upstreams().last().body()).isEqualTo("hi");
        fixture.upstreams().last().respond(response(200, "ok"));
        assertThat(responseHead().status().code()).isEqualTo(200);
        assertThat(fixture.metric("response_total", "error=\"upstream_reset\"")).isEqualTo(1);
    }

    @Test
    void informationalHeadsArePassedOnAheadOfTheResponse() {
        connect();
        send(post("/upload", 2), "hi");
        FakeLease lease = fixture.upstreams().last();
        lease.respond(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE),
                LastHttpContent.EMPTY_LAST_CONTENT); // the HTTP/1 decoder ends a 1xx head so
        lease.respond(response(201, "made"));

        List<Integer> statuses = received().stream().filter(HttpResponse.class::isInstance)
                .map(o -> ((HttpResponse) o).status().code()).toList();
        assertThat(statuses).containsExactly(100, 201);
        assertThat(responseBody()).isEqualTo("made");
        assertThat(fixture.metric("response_total", "status_code=\"201\"")).isEqualTo(1);
    }

    @Test
    void anUpstreamThatIsThisProxyIsALoop() {
        connect();
        context.lifecycle().setListeners(List.of(new java.net.InetSocketAddress("10.1.0.1", 8080)));
        send(get("/x"), null);

        assertThat(responseHead().status().code()).isEqualTo(502);
        assertThat(responseHead().headers().get("meshj-proxy-error")).startsWith("request would loop back");
        assertThat(fixture.upstreams().last().connectionClosed()).isTrue();
        assertThat(fixture.metric("meshj_proxy_errors_total", "reason=\"loop_detected\"")).isEqualTo(1);
    }

    @Test
    void theTimeoutNamesTheRouteWhenTheRoutesLimitIsTheOneRunningOut() {
        fixture.config(c -> c.requestTimeout(Duration.ofSeconds(1))).profile(ServiceProfile.builder(
                "web.default.svc.cluster.local").route(Route.builder("GET /slow").condition(RequestMatch.PathRegex.of("/slow"))
                        .timeout(Duration.ofSeconds(1)).build()).build());
        connect();
        send(get("/slow"), null);
        fixture.advance(Duration.ofSeconds(1), client);

        assertThat(responseHead().headers().get("meshj-proxy-error")).endsWith("(the timeout of route GET /slow)");
    }

    @Test
    void aBackendThatNeverAnswersGetsTheDefaultTimeoutCountedFromTheRequestsEnd() {
        fixture.config(c -> c.responseHeadTimeout(Duration.ofSeconds(60)));
        connect();
        client.writeInbound(post("/upload", 6));
        FakeLease lease = fixture.upstreams().last();
        fixture.advance(Duration.ofSeconds(90), client); // a slow upload is not the backend's delay
        client.writeInbound(new DefaultLastHttpContent(bytes("abcdef")));
        fixture.advance(Duration.ofSeconds(59), client);
        assertThat(received()).as("59 s after the request's end").isEmpty();

        fixture.advance(Duration.ofSeconds(1), client);

        assertThat(responseHead().status().code()).isEqualTo(504);
        assertThat(responseHead().headers().get("meshj-proxy-error")).isEqualTo(
                "response timeout: no response within 1m of the request's end (the default response head timeout)");
        assertThat(lease.releasedReusable()).as("the silent exchange is abandoned").isFalse();
        assertThat(fixture.router().endpoint(0).pending()).isZero();
    }

    @Test
    void aRoutesOwnTimeoutReplacesTheDefaultEvenWhenLonger() {
        fixture.config(c -> c.responseHeadTimeout(Duration.ofSeconds(60))).profile(ServiceProfile.builder(
                "web.default.svc.cluster.local").route(Route.builder("GET /poll").condition(RequestMatch.PathRegex.of("/poll"))
                        .timeout(Duration.ofMinutes(5)).build()).build());
        connect();
        send(get("/poll"), null);
        fixture.advance(Duration.ofSeconds(299), client);
        assertThat(received()).as("a long poll its route allows").isEmpty();

        fixture.upstreams().last().respond(response(200, "news"));
        assertThat(responseHead().status().code()).isEqualTo(200);
    }

    @Test
    void grpcRequestsKeepTheirClientsDeadlinesOnly() {
        fixture.config(c -> c.responseHeadTimeout(Duration.ofSeconds(60)));
        connect();
        HttpRequest r = post("/pkg.Watch/Events", 5);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
        send(r, "hello");
        fixture.advance(Duration.ofMinutes(10), client);

        assertThat(received()).as("a server stream's first message may come late").isEmpty();
    }

    // ---- draining ----

    @Test
    void drainingClosesAnIdleConnectionAtOnce() {
        connect();
        send(get("/x"), null);
        fixture.upstreams().last().respond(response(200, "ok"));
        assertThat(client.isOpen()).isTrue();

        client.pipeline().fireUserEventTriggered(io.meshj.proxy.internal.DrainEvent.INSTANCE);
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void drainingLetsABusyConnectionAnswerThenClose() {
        connect();
        send(get("/x"), null);
        context.lifecycle().startDraining();
        client.pipeline().fireUserEventTriggered(io.meshj.proxy.internal.DrainEvent.INSTANCE);
        assertThat(client.isOpen()).as("a request is in flight").isTrue();

        fixture.upstreams().last().respond(response(200, "ok"));
        assertThat(responseHead().status().code()).isEqualTo(200);
        assertThat(responseHead().headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        client.runPendingTasks();
        assertThat(client.isOpen()).isFalse();
    }
}
