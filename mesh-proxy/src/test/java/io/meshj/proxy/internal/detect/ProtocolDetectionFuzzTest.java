package io.meshj.proxy.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meshj.proxy.testing.FuzzChannel;
import io.meshj.proxy.testing.FuzzChannel.ByteSink;
import io.meshj.proxy.testing.FuzzChannel.Pieces;
import io.meshj.proxy.testing.LoggedFailures;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes protocol detection, the first handler of every accepted connection: any bytes a client sends
 * go through {@link ProtocolDetectionHandler} on an EmbeddedChannel, once in one read and once split
 * into many, and must
 *
 * <ul>
 *   <li>raise no exception;</li>
 *   <li>be decided the same way however they arrive (a decision never depends on where reads end), and
 *       the same as {@link ProtocolDetector#detect} on all of them, which does not move the reader index
 *       nor depend on where the readable bytes start;</li>
 *   <li>be decided by {@link ProtocolDetector#MAX_PEEK} bytes at the latest (detection holds at most
 *       that much); when the timeout comes first, no bytes at all are "silent" (opaque), and bytes
 *       that decided nothing (the start of a request line, stalled) close the connection and are
 *       passed on to nobody;</li>
 *   <li>reach the handlers installed for the protocol whole: every byte, in order, none consumed;</li>
 *   <li>leave no buffer unreleased.</li>
 * </ul>
 *
 * <p>Seeds ({@code ProtocolDetectionFuzzTestInputs/detect/}): an HTTP/1 request, the HTTP/2 preface with
 * SETTINGS, a TLS ClientHello's first bytes, a request line with an unusual method, a Redis command, and
 * a request line longer than the detection limit.
 */
class ProtocolDetectionFuzzTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
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
    void detect(byte[] input) {
        Outcome whole = run(input, Pieces.WHOLE);
        Outcome split = run(input, Pieces.SPLIT);
        Protocol expected = detectAt(input, 0);

        assertThat(detectAt(input, 7)).as("detection where the readable bytes start at an offset").isEqualTo(expected);
        assertThat(whole.beforeTimeout).as("one read").isEqualTo(expected);
        assertThat(split.beforeTimeout).as("many reads").isEqualTo(expected);
        if (input.length >= ProtocolDetector.MAX_PEEK) {
            assertThat(expected).as("decided within %s bytes", ProtocolDetector.MAX_PEEK).isNotNull();
        }
        for (Outcome o : List.of(whole, split)) {
            if (expected == null && input.length > 0) {
                assertThat(o.decisions).as("a stalled start is no protocol").containsExactly("stalled");
                assertThat(o.passedOn).as("and its bytes go nowhere").isEmpty();
                assertThat(o.open).as("its connection is closed").isFalse();
                continue;
            }
            assertThat(o.decisions).as("the listener is told once, silent if nothing came")
                    .containsExactly(expected == null ? "silent" : expected.name());
            assertThat(o.passedOn).as("every byte passed on, in order").isEqualTo(input);
        }
        logged.assertNone();
    }

    /** {@link ProtocolDetector#detect} on {@code input} with {@code junk} bytes before it, skipped. */
    private static Protocol detectAt(byte[] input, int junk) {
        ByteBuf b = Unpooled.buffer(junk + input.length);
        try {
            b.writeZero(junk).writeBytes(input).skipBytes(junk);
            Protocol p = ProtocolDetector.detect(b);
            assertThat(b.readerIndex()).as("reader index after detection").isEqualTo(junk);
            return p;
        } finally {
            b.release();
        }
    }

    private static Outcome run(byte[] input, Pieces pieces) {
        FuzzChannel ch = new FuzzChannel();
        Outcome o = new Outcome();
        ByteSink sink = new ByteSink();
        ch.channel().pipeline().addLast(new ProtocolDetectionHandler(TIMEOUT, new ProtocolDetectionHandler.Listener() {
            @Override
            public void detected(io.netty.channel.ChannelHandlerContext ctx, Protocol protocol) {
                o.decisions.add(protocol.name());
                ctx.pipeline().addAfter(ctx.name(), "sink", sink);
            }

            @Override
            public void silent(io.netty.channel.ChannelHandlerContext ctx) {
                o.decisions.add("silent");
                ctx.pipeline().addAfter(ctx.name(), "sink", sink);
            }

            @Override
            public void stalled(io.netty.channel.ChannelHandlerContext ctx) {
                o.decisions.add("stalled");
                ctx.close();
            }
        }));
        ch.feed(input, pieces, c -> { });
        o.beforeTimeout = o.decisions.isEmpty() ? null : Protocol.valueOf(o.decisions.get(0));
        ch.advanceMillis(TIMEOUT.toMillis());
        o.passedOn = sink.bytes();
        o.open = ch.channel().isOpen();
        ch.finish();
        return o;
    }

    private static final class Outcome {
        final List<String> decisions = new ArrayList<>();
        Protocol beforeTimeout;
        byte[] passedOn;
        boolean open;
    }
}
