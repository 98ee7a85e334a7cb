package io.meshj.proxy.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meshj.core.name.Authority;
import io.meshj.core.name.InvalidAuthorityException;
import io.meshj.proxy.testing.FuzzChannel;
import io.meshj.proxy.testing.FuzzChannel.ByteSink;
import io.meshj.proxy.testing.FuzzChannel.ErrorCloser;
import io.meshj.proxy.testing.FuzzChannel.Pieces;
import io.meshj.proxy.testing.LoggedFailures;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes {@link TransportHeader.Decoder}, which reads the first bytes of every mTLS connection: any
 * bytes, in one read and split into many, must end the same way a plain reading of the format says
 * (magic {@code 00 'M' 'J' 'T'}, a two-byte length of 1–512, an authority):
 *
 * <ul>
 *   <li>a header naming the authority it holds, with every byte after it passed on, in order;</li>
 *   <li>or no header, with every byte passed on, as soon as a byte differs from the magic;</li>
 *   <li>or the expected protocol error (a {@link DecoderException} of the decoder's own, no other
 *       exception) and a closed connection, for a length out of range or a name that is no authority;</li>
 *   <li>or, with the header still incomplete, nothing until the timeout, and then no header.</li>
 * </ul>
 *
 * A decoded name, encoded again, decodes to itself; no buffer is left unreleased.
 *
 * <p>Seeds ({@code TransportHeaderFuzzTestInputs/decode/}): headers naming a service, an IPv4 and an IPv6
 * endpoint with bytes after them, HTTP and TLS without a header, a length out of range, a bad name.
 */
class TransportHeaderFuzzTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final byte[] MAGIC = {0, 'M', 'J', 'T'};
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
    void decode(byte[] input) {
        Expected expected = Expected.of(input);
        for (Pieces pieces : Pieces.values()) {
            Outcome o = run(input, pieces);
            String as = pieces + " " + expected;
            assertThat(o.beforeTimeout).as(as).isEqualTo(expected.result);
            switch (expected.result) {
                case "error" -> {
                    // The decoder keeps the bytes it refused and throws again when the close makes it
                    // decode them a last time: harmless, so more than one error is allowed.
                    assertThat(o.errors).as(as).isNotEmpty().allSatisfy(e -> {
                        assertThat(e).isExactlyInstanceOf(DecoderException.class);
                        assertThat(e.getCause()).as("thrown by the decoder itself").isNull();
                    });
                    assertThat(o.closed).as(as + ": closed").isTrue();
                }
                case "pending" -> {
                    assertThat(o.errors).as(as).isEmpty();
                    assertThat(o.afterTimeout).as(as + ": after the timeout").isEqualTo("no header");
                    assertThat(o.passedOn).as(as + ": a partial header is passed on").isEqualTo(input);
                }
                default -> {
                    assertThat(o.errors).as(as).isEmpty();
                    assertThat(o.passedOn).as(as + ": bytes passed on").isEqualTo(expected.rest);
                }
            }
        }
        if (expected.endpoint != null) {
            // What the outbound side would write for this endpoint reads back as the same endpoint.
            ByteBuf again = TransportHeader.encode(UnpooledByteBufAllocator.DEFAULT, expected.endpoint);
            try {
                byte[] bytes = new byte[again.readableBytes()];
                again.getBytes(0, bytes);
                assertThat(Expected.of(bytes).endpoint).isEqualTo(expected.endpoint);
            } finally {
                again.release();
            }
        }
        logged.assertNone();
    }

    private static Outcome run(byte[] input, Pieces pieces) {
        FuzzChannel ch = new FuzzChannel();
        Outcome o = new Outcome();
        ByteSink sink = new ByteSink();
        ErrorCloser errors = new ErrorCloser();
        ch.channel().pipeline().addLast(new TransportHeader.Decoder(TIMEOUT, new TransportHeader.Listener() {
            @Override
            public void header(ChannelHandlerContext ctx, Authority endpoint) {
                o.results.add("header " + endpoint);
                ctx.pipeline().addAfter(ctx.name(), "sink", sink);
            }

            @Override
            public void noHeader(ChannelHandlerContext ctx) {
                o.results.add("no header");
                ctx.pipeline().addAfter(ctx.name(), "sink", sink);
            }
        }), errors);
        ch.feed(input, pieces, c -> { });
        o.beforeTimeout = !errors.errors().isEmpty() ? "error" : o.results.isEmpty() ? "pending" : o.results.get(0);
        o.closed = !ch.channel().isOpen();
        ch.advanceMillis(TIMEOUT.toMillis());
        assertThat(o.results).as("the listener is told at most once").hasSizeLessThanOrEqualTo(1);
        o.afterTimeout = o.results.isEmpty() ? null : o.results.get(0);
        o.errors = new ArrayList<>(errors.errors());
        o.passedOn = sink.bytes();
        ch.finish();
        return o;
    }

    private static final class Outcome {
        final List<String> results = new ArrayList<>();
        String beforeTimeout;
        String afterTimeout;
        boolean closed;
        List<Throwable> errors;
        byte[] passedOn;
    }

    /** What the format says {@code input} is, read plainly from the whole of it. */
    private record Expected(String result, Authority endpoint, byte[] rest) {
        static Expected of(byte[] in) {
            int n = in.length;
            for (int i = 0; i < Math.min(n, MAGIC.length); i++) {
                if (in[i] != MAGIC[i]) {
                    return new Expected("no header", null, in);
                }
            }
            if (n < MAGIC.length + 2) {
                return new Expected("pending", null, null);
            }
            int length = (in[4] & 0xff) << 8 | in[5] & 0xff;
            if (length == 0 || length > 512) {
                return new Expected("error", null, null);
            }
            if (n < MAGIC.length + 2 + length) {
                return new Expected("pending", null, null);
            }
            String name = new String(in, MAGIC.length + 2, length, StandardCharsets.US_ASCII);
            try {
                Authority a = Authority.parse(name);
                return new Expected("header " + a, a, Arrays.copyOfRange(in, MAGIC.length + 2 + length, n));
            } catch (InvalidAuthorityException e) {
                return new Expected("error", null, null);
            }
        }

        @Override
        public String toString() {
            return result;
        }
    }
}
