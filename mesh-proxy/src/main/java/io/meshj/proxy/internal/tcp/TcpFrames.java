package io.meshj.proxy.internal.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/**
 * Opaque TCP between two meshj proxies over mTLS is carried in frames — a 4-byte length, then that
 * many bytes — so that one direction can end while the other goes on. TLS itself cannot carry a
 * half-close here: BoringSSL answers a close_notify with its own and stops sending, which would cut off
 * the reply of every protocol whose client half-closes (write the request, shut down, read to EOF).
 * A zero-length frame ends its direction; the receiving proxy turns it into a FIN towards its side.
 */
public final class TcpFrames {

    /** Largest frame accepted: the sender frames one socket read at a time (64 KiB at most by default). */
    static final int MAX_FRAME = 1024 * 1024;

    /** Written to a framed channel: ends this direction (a zero-length frame). */
    public static final Object END = new Object() {
        @Override
        public String toString() {
            return "TcpFrames.END";
        }
    };

    private static final String ENCODER = "tcp-frame-encoder";
    private static final String DECODER = "tcp-frame-decoder";

    private TcpFrames() {
    }

    /**
     * Frames what the channel sends and unframes what it receives, from here on: right after the
     * handler named {@code after} (the TLS handler, or what precedes the relay), or last when null.
     */
    public static void install(ChannelPipeline p, String after) {
        if (after == null) {
            p.addLast(DECODER, new Decoder());
            p.addLast(ENCODER, new Encoder());
        } else {
            p.addAfter(after, DECODER, new Decoder());
            p.addAfter(DECODER, ENCODER, new Encoder());
        }
    }

    /** True if {@code ch} carries frames: its end is signalled by {@link #END}, not by shutting its output. */
    public static boolean isFramed(Channel ch) {
        return ch.pipeline().get(ENCODER) != null;
    }

    /** Prefixes each buffer with its length; {@link #END} becomes a zero-length frame. */
    static final class Encoder extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg == END) {
                ctx.write(ctx.alloc().buffer(4).writeInt(0), promise);
            } else if (msg instanceof ByteBuf b && b.isReadable()) {
                ctx.write(ctx.alloc().buffer(4).writeInt(b.readableBytes()), ctx.voidPromise());
                ctx.write(b, promise);
            } else {
                ctx.write(msg, promise); // an empty buffer (a flush marker) frames nothing
            }
        }
    }

    /** Passes each frame's bytes on; a zero-length frame becomes a {@link ChannelInputShutdownEvent}. */
    static final class Decoder extends LengthFieldBasedFrameDecoder {
        private boolean ended;

        Decoder() {
            super(MAX_FRAME, 0, 4, 0, 4);
        }

        @Override
        protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
            if (ended) {
                in.skipBytes(in.readableBytes()); // nothing may follow the end; the peer closes next
                return null;
            }
            Object frame = super.decode(ctx, in);
            if (frame instanceof ByteBuf b && !b.isReadable()) {
                // Frames before this one were passed on already (one frame per decode call).
                b.release();
                ended = true;
                ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                return null;
            }
            return frame;
        }
    }
}
