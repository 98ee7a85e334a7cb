package io.meshj.proxy.internal.h2;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meshj.proxy.internal.Http2Windows;
import io.meshj.proxy.testing.FuzzChannel;
import io.meshj.proxy.testing.FuzzChannel.ErrorCloser;
import io.meshj.proxy.testing.FuzzChannel.Pieces;
import io.meshj.proxy.testing.LoggedFailures;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the server side of the proxy's HTTP/2 connections: the client preface, then any bytes, into an
 * {@link H2ConnectionHandler#forServer} on an EmbeddedChannel, set up as the listener's is (header list
 * limit, validated headers, the raised connection window). Each stream the bytes open gets a listener
 * that acts by its id, so the fuzzer picks among them: (id / 2) mod 4 = 0 answers at once, 1 answers
 * once the request has ended (body and trailers), 2 pauses reading until the input is over (an upstream
 * that takes nothing), 3 resets it. Then the connection is closed and its grace period passes.
 * Whatever the bytes:
 *
 * <ul>
 *   <li>nothing escapes the connection handler and nothing is logged as failed;</li>
 *   <li>the server writes whole, well-formed frames, SETTINGS first, that a client's frame reader and
 *       HPACK decoder read without error, and never INTERNAL_ERROR, which Netty sends when a handler
 *       throws (its debug data is the exception's message);</li>
 *   <li>each stream's listener sees one request head first, nothing after the request's end nor after
 *       it let the stream go, and by the end it has let go or heard the stream end (reset or closed):
 *       no stream stays open behind a closed connection;</li>
 *   <li>no buffer is left unreleased.</li>
 * </ul>
 *
 * <p>Seeds ({@code H2ServerFuzzTestInputs/frames/}, the bytes after the preface): SETTINGS and a GET;
 * a POST with a body; a held stream with data; a stream the server resets; and one of every frame type
 * (CONTINUATION, PRIORITY, padding, PING, WINDOW_UPDATE, trailers, RST_STREAM, GOAWAY).
 */
class H2ServerFuzzTest {

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final long GRACE_MILLIS = 30_000;
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
    void frames(byte[] input) throws Http2Exception {
        List<Listener> streams = new ArrayList<>();
        List<String> violations = new ArrayList<>();
        H2ConnectionHandler handler = H2ConnectionHandler.forServer(s -> {
            Listener l = new Listener(s, violations);
            streams.add(l);
            return l;
        })
                .initialSettings(Http2Settings.defaultSettings().maxHeaderListSize(64 * 1024))
                .gracefulShutdownTimeoutMillis(GRACE_MILLIS)
                .validateHeaders(true)
                .connectionWindow(Http2Windows.CONNECTION_WINDOW)
                .build();
        FuzzChannel ch = new FuzzChannel();
        ErrorCloser errors = new ErrorCloser();
        ch.channel().pipeline().addLast(handler, errors);
        byte[] sent;
        try {
            byte[] bytes = new byte[PREFACE.length + input.length];
            System.arraycopy(PREFACE, 0, bytes, 0, PREFACE.length);
            System.arraycopy(input, 0, bytes, PREFACE.length, input.length);
            ch.feed(bytes, Pieces.SPLIT, c -> { });
            for (Listener l : streams) {
                l.resume();
            }
            ch.channel().runPendingTasks();
            // Through the pipeline, as a listener closes it: EmbeddedChannel.close() would also cancel
            // the timer that ends the grace period.
            ch.channel().pipeline().close();
            ch.advanceMillis(GRACE_MILLIS + 1);
            sent = ch.drainOutbound();
        } finally {
            for (Listener l : streams) {
                l.stream.release(); // a no-op for those already let go; so that a failure leaks nothing more
            }
            ch.finish();
        }
        assertThat(errors.errors()).as("exceptions past the connection handler").isEmpty();
        logged.assertNone();
        assertThat(violations).as("listener contract").isEmpty();
        assertThat(streams).as("streams that neither ended nor were let go")
                .allSatisfy(l -> assertThat(l.over()).as("stream %s", l.stream).isTrue());
        assertThat(handler.connection().numActiveStreams()).isZero();
        readFrames(sent);
    }

    /** Reads what the server sent as a client would, failing on a malformed frame or an INTERNAL_ERROR. */
    private static void readFrames(byte[] sent) throws Http2Exception {
        EmbeddedChannel client = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(false);
        // The client's own limits are whatever the fuzzer's SETTINGS said; read with the widest.
        reader.maxFrameSize(Http2CodecUtil.MAX_FRAME_SIZE_UPPER_BOUND);
        reader.headersConfiguration().maxHeaderTableSize(Http2CodecUtil.MAX_HEADER_TABLE_SIZE);
        reader.headersConfiguration().maxHeaderListSize(Http2CodecUtil.MAX_HEADER_LIST_SIZE, Http2CodecUtil.MAX_HEADER_LIST_SIZE);
        ByteBuf in = Unpooled.wrappedBuffer(sent);
        List<String> frames = new ArrayList<>();
        try {
            reader.readFrame(client.pipeline().firstContext(), in, new Http2FrameAdapter() {
                @Override
                public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
                    frames.add("SETTINGS");
                }

                @Override
                public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
                    frames.add("GOAWAY");
                    assertThat(errorCode).as("GOAWAY error, debug data: %s", debugData.toString(StandardCharsets.UTF_8))
                            .isNotEqualTo(Http2Error.INTERNAL_ERROR.code());
                }

                @Override
                public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                    frames.add("RST_STREAM");
                    assertThat(errorCode).as("RST_STREAM error on stream %s", streamId)
                            .isNotEqualTo(Http2Error.INTERNAL_ERROR.code());
                }

                @Override
                public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                        boolean endOfStream) {
                    frames.add("HEADERS");
                }
            });
            assertThat(in.readableBytes()).as("bytes of an incomplete frame").isZero();
            if (sent.length > 0) {
                assertThat(frames).as("frames sent").first().isEqualTo("SETTINGS");
            }
        } finally {
            in.release();
            reader.close();
            client.finishAndReleaseAll();
        }
    }

    /** A stream's listener acting by the stream's id; records what breaks the listener contract. */
    private static final class Listener implements H2StreamListener {
        private static final int ANSWER_AT_ONCE = 0;
        private static final int ANSWER_AT_END = 1;
        private static final int HOLD = 2;

        final H2Stream stream;
        private final List<String> violations;
        private int behaviour;
        private boolean headRead;
        private boolean requestEnded;
        private boolean answered;
        private boolean letGo;
        private boolean heardEnd;

        Listener(H2Stream stream, List<String> violations) {
            this.stream = stream;
            this.violations = violations;
            this.behaviour = (stream.id() >> 1) % 4;
        }

        boolean over() {
            return letGo || heardEnd;
        }

        @Override
        public void onMessage(HttpObject msg) {
            try {
                if (over()) {
                    violations.add(stream + ": message after the end: " + msg);
                    return;
                }
                if (requestEnded) {
                    violations.add(stream + ": message after the request's end: " + msg);
                    return;
                }
                if (headRead == msg instanceof HttpRequest) {
                    violations.add(stream + (headRead ? ": a second head: " : ": no head first: ") + msg);
                    return;
                }
                requestEnded = msg instanceof LastHttpContent;
            } finally {
                ReferenceCountUtil.release(msg);
            }
            if (!headRead) {
                headRead = true;
                switch (behaviour) {
                    case ANSWER_AT_ONCE -> answer();
                    case HOLD -> stream.pauseReading();
                    case ANSWER_AT_END -> { }
                    default -> {
                        stream.reset(Http2Error.CANCEL);
                        letGo();
                        return;
                    }
                }
            }
            if (requestEnded && behaviour == ANSWER_AT_END && !answered) {
                answer();
            }
            if (answered && requestEnded) {
                letGo();
            }
        }

        /** The input is over: a held stream is read again and then answered as at its end. */
        void resume() {
            if (behaviour == HOLD && !over()) {
                behaviour = ANSWER_AT_END;
                stream.resumeReading();
                if (requestEnded && !answered && !over()) {
                    answer();
                    letGo();
                }
            }
        }

        private void answer() {
            answered = true;
            if (behaviour == ANSWER_AT_ONCE) {
                stream.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        ascii("ok")), stream.newPromise());
            } else {
                stream.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK), stream.newPromise());
                stream.write(new DefaultHttpContent(ascii("body")), stream.newPromise());
                LastHttpContent end = new DefaultLastHttpContent();
                end.trailingHeaders().set("grpc-status", "0");
                stream.write(end, stream.newPromise());
            }
            stream.flush();
        }

        private ByteBuf ascii(String s) {
            return stream.alloc().buffer(s.length()).writeBytes(s.getBytes(StandardCharsets.US_ASCII));
        }

        private void letGo() {
            if (!letGo) {
                letGo = true;
                stream.release();
            }
        }

        @Override
        public void onReadComplete() {
        }

        @Override
        public void onWritabilityChanged(boolean writable) {
        }

        @Override
        public void onReset(Http2Error error) {
            ended("reset " + error);
        }

        @Override
        public void onRefused() {
            violations.add(stream + ": a stream the client opened was refused");
        }

        @Override
        public void onClosed(Throwable cause) {
            ended("closed");
        }

        private void ended(String how) {
            if (over()) {
                violations.add(stream + ": " + how + " after the end");
            }
            heardEnd = true;
            stream.release();
        }
    }
}
