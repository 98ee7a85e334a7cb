package io.meshj.proxy.internal.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Frames written by one side come out whole on the other, and END arrives as an input shutdown. */
class TcpFramesTest {

    @Test
    void bytesAndTheEndCrossInFrames() {
        EmbeddedChannel sender = new EmbeddedChannel();
        TcpFrames.install(sender.pipeline(), null);
        List<Object> events = new ArrayList<>();
        EmbeddedChannel receiver = new EmbeddedChannel();
        TcpFrames.install(receiver.pipeline(), null);
        receiver.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
            }
        });
        assertThat(TcpFrames.isFramed(sender)).isTrue();

        sender.writeAndFlush(Unpooled.copiedBuffer("hello ", StandardCharsets.US_ASCII));
        sender.writeAndFlush(Unpooled.EMPTY_BUFFER); // a flush marker, not the end
        sender.writeAndFlush(Unpooled.copiedBuffer("mesh", StandardCharsets.US_ASCII));
        sender.writeAndFlush(TcpFrames.END);
        // Re-chunk the wire bytes one byte at a time: frames must not depend on how reads split them.
        ByteBuf wire = Unpooled.buffer();
        for (Object o; (o = sender.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            wire.writeBytes(b);
            b.release();
        }
        assertThat(wire.readableBytes()).isEqualTo(4 + 6 + 4 + 4 + 4);
        while (wire.isReadable()) {
            receiver.writeInbound(wire.readRetainedSlice(1));
        }
        wire.release();
        StringBuilder got = new StringBuilder();
        for (Object o; (o = receiver.readInbound()) != null; ) {
            got.append(((ByteBuf) o).toString(StandardCharsets.US_ASCII));
            ((ByteBuf) o).release();
        }
        assertThat(got.toString()).isEqualTo("hello mesh");
        assertThat(events).containsExactly(ChannelInputShutdownEvent.INSTANCE);
        assertThat(sender.finishAndReleaseAll()).isFalse();
        receiver.finishAndReleaseAll();
    }
}
