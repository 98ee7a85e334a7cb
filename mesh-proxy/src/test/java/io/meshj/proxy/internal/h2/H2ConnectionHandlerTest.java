package io.meshj.proxy.internal.h2;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.testing.EmbeddedWire;
import io.meshj.proxy.testing.RecordingStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client and a server {@link H2ConnectionHandler} on two EmbeddedChannels, with the bytes each writes
 * carried to the other: real HTTP/2 framing, HPACK and flow control between them, driven step by step.
 */
class H2ConnectionHandlerTest {

    /** The protocol's initial stream window: what a peer may send before the stream returns window. */
    private static final int STREAM_WINDOW = 65_535;

    private final List<RecordingStream> accepted = new ArrayList<>();
    private final List<RecordingStream> opened = new ArrayList<>();
    private final H2ConnectionHandler clientHandler = H2ConnectionHandler.forClient().validateHeaders(true)
            .connectionWindow(16 * STREAM_WINDOW).build();
    private final H2ConnectionHandler serverHandler = H2ConnectionHandler.forServer(stream -> {
        RecordingStream r = new RecordingStream(stream);
        accepted.add(r);
        return r;
    }).validateHeaders(true).connectionWindow(16 * STREAM_WINDOW).build();
    private final EmbeddedChannel client = new EmbeddedChannel(clientHandler);
    private final EmbeddedChannel server = new EmbeddedChannel(serverHandler);

    @AfterEach
    void tearDown() {
        accepted.forEach(RecordingStream::releaseAll);
        opened.forEach(RecordingStream::releaseAll);
        client.finishAndReleaseAll();
        server.finishAndReleaseAll();
    }

    private void exchange() {
        EmbeddedWire.exchange(client, server);
    }

    private RecordingStream openRequest(HttpObject head) {
        RecordingStream r = new RecordingStream(null);
        opened.add(r);
        H2Stream s = clientHandler.newStream(r);
        r.stream = s;
        s.write(head, client.newPromise());
        s.flush();
        exchange();
        return r;
    }

    private static FullHttpRequest get(String path) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
        req.headers().set(HttpHeaderNames.HOST, "web.default");
        return req;
    }

    private static ByteBuf bytes(int n) {
        return Unpooled.wrappedBuffer(new byte[n]);
    }

    @Test
    void aConnectionErrorsGoAwayNamesTheLastStreamTheServerActedOn() {
        openRequest(get("/one"));
        openRequest(get("/two"));
        assertThat(accepted).hasSize(2);

        // DATA on stream 0 is a connection error (RFC 9113 §6.1), one Netty shuts the connection down hard on.
        server.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 0x0, 0, 0, 0, 0, 0}));

        ByteBuf out = Unpooled.buffer();
        for (Object o; (o = server.readOutbound()) != null; ) {
            out.writeBytes((ByteBuf) o);
            ((ByteBuf) o).release();
        }
        try {
            int goAway = -1;
            for (int i = out.readerIndex(); i + 9 <= out.writerIndex(); i += 9 + out.getUnsignedMedium(i)) {
                if (out.getByte(i + 3) == 0x7) {
                    goAway = i + 9;
                }
            }
            assertThat(goAway).as("a GOAWAY was sent").isNotNegative();
            assertThat(out.getInt(goAway) & 0x7fff_ffff).as("last stream id: the second request's").isEqualTo(accepted.get(1).stream.id());
            assertThat(out.getInt(goAway + 4)).as("PROTOCOL_ERROR").isEqualTo(1);
        } finally {
            out.release();
        }
        assertThat(server.isOpen()).isFalse();
    }

    @Test
    void aRequestHeadWithEndStreamArrivesAsOneFullRequest() {
        openRequest(get("/hello"));

        assertThat(accepted).hasSize(1);
        RecordingStream server = accepted.get(0);
        assertThat(server.messages).hasSize(1);
        FullHttpRequest req = (FullHttpRequest) server.messages.get(0);
        assertThat(req.method()).isEqualTo(HttpMethod.GET);
        assertThat(req.uri()).isEqualTo("/hello");
        assertThat(req.headers().get(HttpHeaderNames.HOST)).isEqualTo("web.default");
    }

    @Test
    void bodiesAndTrailersStreamBothWays() {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/echo");
        head.headers().set(HttpHeaderNames.HOST, "web.default");
        RecordingStream caller = openRequest(head);
        caller.stream.write(new DefaultHttpContent(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII)), client.newPromise());
        LastHttpContent end = new DefaultLastHttpContent();
        end.trailingHeaders().set("x-check", "1");
        caller.stream.write(end, client.newPromise());
        caller.stream.flush();
        exchange();

        RecordingStream callee = accepted.get(0);
        assertThat(callee.messages).hasSize(3);
        assertThat(callee.messages.get(0)).isInstanceOf(HttpRequest.class).isNotInstanceOf(HttpContent.class);
        assertThat(((HttpContent) callee.messages.get(1)).content().toString(StandardCharsets.US_ASCII)).isEqualTo("ping");
        assertThat(((LastHttpContent) callee.messages.get(2)).trailingHeaders().get("x-check")).isEqualTo("1");

        callee.stream.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK), server.newPromise());
        LastHttpContent grpcEnd = new DefaultLastHttpContent(Unpooled.copiedBuffer("pong", StandardCharsets.US_ASCII));
        grpcEnd.trailingHeaders().set("grpc-status", "0");
        callee.stream.write(grpcEnd, server.newPromise());
        callee.stream.flush();
        exchange();

        assertThat(caller.messages).hasSize(3);
        assertThat(((HttpResponse) caller.messages.get(0)).status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(((HttpContent) caller.messages.get(1)).content().toString(StandardCharsets.US_ASCII)).isEqualTo("pong");
        assertThat(((LastHttpContent) caller.messages.get(2)).trailingHeaders().get("grpc-status")).isEqualTo("0");
        // Both directions ended cleanly: nobody hears of a close, and neither side keeps the stream.
        assertThat(caller.events).isEmpty();
        assertThat(callee.events).isEmpty();
        assertThat(clientHandler.connection().numActiveStreams()).isZero();
        assertThat(serverHandler.connection().numActiveStreams()).isZero();
    }

    @Test
    void aPausedStreamReturnsNoWindowUntilItResumes() {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        RecordingStream caller = openRequest(head);
        RecordingStream callee = accepted.get(0);
        callee.stream.pauseReading();

        // About twice the stream window: only one window's worth can cross while the reader is paused.
        int part = STREAM_WINDOW / 4;
        for (int i = 0; i < 8; i++) {
            caller.stream.write(new DefaultHttpContent(bytes(part)), client.newPromise());
        }
        caller.stream.flush();
        exchange();

        assertThat(callee.messages).hasSize(1); // the head only: the data is held, not delivered
        assertThat(caller.stream.isWritable()).isFalse();
        assertThat(caller.events).contains("writable=false");

        callee.stream.resumeReading();
        exchange();

        assertThat(callee.bodyBytes()).isEqualTo(8L * part);
        assertThat(caller.stream.isWritable()).isTrue();
        assertThat(caller.events).endsWith("writable=true");
    }

    @Test
    void aResetReachesThePeersListenerWithItsCode() {
        RecordingStream caller = openRequest(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/slow"));

        caller.stream.reset(Http2Error.CANCEL);
        exchange();

        assertThat(accepted.get(0).events).containsExactly("reset=CANCEL");
    }

    @Test
    void releasingAStreamStillOpenResetsItWithCancel() {
        RecordingStream caller = openRequest(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/slow"));

        caller.stream.release();
        exchange();

        assertThat(accepted.get(0).events).containsExactly("reset=CANCEL");
        assertThat(caller.events).isEmpty(); // a released listener hears nothing more
        assertThat(clientHandler.connection().numActiveStreams()).isZero();
    }

    @Test
    void aResetIsNeverAnsweredWithAReset() {
        RecordingStream caller = openRequest(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/slow"));
        RecordingStream callee = accepted.get(0);

        callee.stream.reset(Http2Error.REFUSED_STREAM);
        callee.stream.release();
        exchange();
        caller.stream.release(); // what a caller does on hearing of the reset
        client.runPendingTasks();

        assertThat(caller.events).containsExactly("refused");
        assertThat((Object) client.readOutbound()).as("frames sent after the peer's reset").isNull();
    }

    @Test
    void goAwayRefusesTheStreamsThePeerNeverProcessed() {
        RecordingStream first = openRequest(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/a"));
        int lastProcessed = first.stream.id();
        RecordingStream second = openRequest(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/b"));

        serverHandler.goAway(server.pipeline().context(serverHandler), lastProcessed, Http2Error.NO_ERROR.code(),
                Unpooled.EMPTY_BUFFER, server.newPromise());
        server.flush();
        exchange();

        assertThat(second.events).containsExactly("refused");
        assertThat(first.events).isEmpty(); // still open: it may complete
        assertThat(clientHandler.canOpenStream()).isFalse();

        RecordingStream third = new RecordingStream(null);
        H2Stream late = clientHandler.newStream(third);
        late.write(get("/c"), client.newPromise());
        client.runPendingTasks();
        assertThat(third.events).containsExactly("refused");
    }

    @Test
    void trailersForAStreamThisSideHasLetGoAreDropped() {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/early");
        RecordingStream caller = openRequest(head);
        RecordingStream callee = accepted.get(0);
        // The server answers early and lets the stream go; the client then finishes its request.
        callee.stream.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT,
                Unpooled.EMPTY_BUFFER), server.newPromise());
        callee.stream.release();
        LastHttpContent end = new DefaultLastHttpContent();
        end.trailingHeaders().set("x-late", "1");
        caller.stream.write(end, client.newPromise());
        caller.stream.flush();
        exchange();

        assertThat(accepted).hasSize(1); // the trailers did not open a new exchange
    }

    /** Records what a stream reports. */
}
