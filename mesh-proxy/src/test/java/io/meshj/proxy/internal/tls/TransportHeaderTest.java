package io.meshj.proxy.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.name.Authority;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The transport header on an EmbeddedChannel: read whole however it is split, or absent. */
class TransportHeaderTest {

    private final List<String> decisions = new ArrayList<>();

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new TransportHeader.Decoder(Duration.ofSeconds(10), new TransportHeader.Listener() {
            @Override
            public void header(ChannelHandlerContext ctx, Authority endpoint) {
                decisions.add("header " + endpoint);
            }

            @Override
            public void noHeader(ChannelHandlerContext ctx) {
                decisions.add("none");
            }
        }));
    }

    @Test
    void aHeaderSplitAcrossReadsNamesTheEndpointAndTheBytesAfterItPassOn() {
        EmbeddedChannel ch = channel();
        ByteBuf wire = Unpooled.wrappedBuffer(TransportHeader.encode(ByteBufAllocator.DEFAULT, Authority.parse("127.0.0.1:6379")),
                Unpooled.copiedBuffer("PING\r\n", StandardCharsets.US_ASCII));
        while (wire.isReadable()) {
            ch.writeInbound(wire.readRetainedSlice(Math.min(3, wire.readableBytes())));
        }
        wire.release();
        assertThat(decisions).containsExactly("header 127.0.0.1:6379");
        assertThat(ch.pipeline().get(TransportHeader.Decoder.class)).isNull();
        assertThat(readAll(ch)).isEqualTo("PING\r\n");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void anythingElseIsNoHeaderAndLosesNothing() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.copiedBuffer("PRI * HTTP/2.0\r\n", StandardCharsets.US_ASCII));
        assertThat(decisions).containsExactly("none");
        assertThat(readAll(ch)).isEqualTo("PRI * HTTP/2.0\r\n");
        ch.finishAndReleaseAll();
    }

    @Test
    void silenceIsNoHeaderAfterTheTimeout() {
        EmbeddedChannel ch = channel();
        ch.advanceTimeBy(10, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(decisions).containsExactly("none");
        assertThat(ch.pipeline().get(TransportHeader.Decoder.class)).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void anOversizedHeaderClosesTheConnection() {
        EmbeddedChannel ch = channel();
        ch.pipeline().addLast(io.meshj.proxy.internal.QuietCloseHandler.INSTANCE); // as on a listener's connection
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 'M', 'J', 'T', (byte) 0xff, (byte) 0xff}));
        assertThat(ch.isOpen()).isFalse();
        assertThat(decisions).isEmpty();
        ch.finishAndReleaseAll();
    }

    private static String readAll(EmbeddedChannel ch) {
        StringBuilder b = new StringBuilder();
        for (Object o; (o = ch.readInbound()) != null; ) {
            b.append(((ByteBuf) o).toString(StandardCharsets.US_ASCII));
            ((ByteBuf) o).release();
        }
        return b.toString();
    }
}
