package io.meshj.proxy.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The handler on an EmbeddedChannel: decisions, byte preservation, and the timeout on a fake clock. */
class ProtocolDetectionHandlerTest {

    private final List<Protocol> decided = new ArrayList<>();
    private final List<String> received = new ArrayList<>();

    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(new ProtocolDetectionHandler(Duration.ofSeconds(10), (ctx, protocol) -> decided.add(protocol)));
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf buf = (ByteBuf) msg;
                received.add(buf.toString(StandardCharsets.US_ASCII));
                buf.release();
            }
        });
        return ch;
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    @Test
    void handsOverEveryPeekedByteAfterDeciding() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(ascii("GE"));
        assertThat(decided).isEmpty();
        assertThat(received).isEmpty();
        ch.writeInbound(ascii("T /hello HTTP/1.1\r\n"));
        assertThat(decided).containsExactly(Protocol.HTTP1);
        assertThat(String.join("", received)).isEqualTo("GET /hello HTTP/1.1\r\n");
        assertThat(ch.pipeline().get(ProtocolDetectionHandler.class)).isNull();
        ch.writeInbound(ascii("Host: x\r\n"));
        assertThat(received).last().isEqualTo("Host: x\r\n");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void detectsThePrefaceAcrossReads() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(ascii("PRI * HTTP/2.0\r\n"));
        assertThat(decided).isEmpty();
        ch.writeInbound(ascii("\r\nSM\r\n\r\n"));
        assertThat(decided).containsExactly(Protocol.HTTP2);
        ch.finishAndReleaseAll();
    }

    @Test
    void silenceUntilTheTimeoutIsOpaque() {
        EmbeddedChannel ch = channel();
        ch.advanceTimeBy(9, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(decided).isEmpty();
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(decided).containsExactly(Protocol.OPAQUE);
        assertThat(ch.pipeline().get(ProtocolDetectionHandler.class)).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void aPartialRequestLineFollowedBySilenceIsAStalledClientNotOpaque() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(ascii("GE"));
        ch.advanceTimeBy(10, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();

        assertThat(decided).as("not handed on as opaque TCP").isEmpty();
        assertThat(received).as("the application never sees the trickle").isEmpty();
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void silenceAndStallingAreToldApart() {
        List<String> heard = new ArrayList<>();
        ProtocolDetectionHandler.Listener listener = new ProtocolDetectionHandler.Listener() {
            @Override
            public void detected(ChannelHandlerContext ctx, Protocol protocol) {
                heard.add(protocol.name());
            }

            @Override
            public void silent(ChannelHandlerContext ctx) {
                heard.add("silent");
            }

            @Override
            public void stalled(ChannelHandlerContext ctx) {
                heard.add("stalled");
                ctx.close();
            }
        };
        EmbeddedChannel quiet = new EmbeddedChannel(new ProtocolDetectionHandler(Duration.ofSeconds(10), listener));
        EmbeddedChannel slow = new EmbeddedChannel(new ProtocolDetectionHandler(Duration.ofSeconds(10), listener));
        slow.writeInbound(ascii("PRI * HT"));
        for (EmbeddedChannel ch : List.of(quiet, slow)) {
            ch.advanceTimeBy(10, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
        }
        assertThat(heard).containsExactly("silent", "stalled");
        quiet.finishAndReleaseAll();
        slow.finishAndReleaseAll();
    }

    @Test
    void decidesOnceEvenIfTheTimerFiresLater() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(ascii("\u0016\u0003\u0001"));
        ch.advanceTimeBy(20, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(decided).containsExactly(Protocol.OPAQUE);
        ch.finishAndReleaseAll();
    }
}
