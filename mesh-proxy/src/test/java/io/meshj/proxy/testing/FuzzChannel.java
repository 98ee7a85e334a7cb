package io.meshj.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An {@link EmbeddedChannel} for a fuzz target: its clock stands still until the target moves it, its
 * buffers come from a {@link TrackingAllocator}, and the input is written into it in pieces, as a
 * socket would deliver it ({@link #feed}).
 */
public final class FuzzChannel {

    /** The reads an input is delivered in: all at once, or a byte at a time at first and then in growing parts. */
    public enum Pieces {
        WHOLE,
        SPLIT;

        int next(int offset, int length) {
            if (this == WHOLE) {
                return length - offset;
            }
            // Byte by byte where protocols decide (their first bytes), then halves of the rest, so that a
            // 16 KiB input takes some 80 reads, not 16,000.
            return offset < 64 ? 1 : Math.min(length - offset, Math.max(64, (length - offset) / 2));
        }
    }

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final EmbeddedChannel channel;

    /** A channel whose clock stands still until {@link #advanceMillis}. */
    public FuzzChannel() {
        this(new EmbeddedChannel());
        channel.freezeTime();
    }

    /** {@code channel}, on whatever clock it has, with this allocator. */
    public FuzzChannel(EmbeddedChannel channel) {
        this.channel = channel;
        channel.config().setAllocator(alloc);
    }

    public EmbeddedChannel channel() {
        return channel;
    }

    public TrackingAllocator alloc() {
        return alloc;
    }

    /**
     * Writes {@code input} in {@code pieces}, running {@code afterEach} after each read; stops early once
     * the channel is closed. Exceptions that reached the end of the pipeline are thrown from here.
     */
    public void feed(byte[] input, Pieces pieces, Consumer<EmbeddedChannel> afterEach) {
        int off = 0;
        while (off < input.length && channel.isOpen()) {
            int k = pieces.next(off, input.length);
            channel.writeInbound(alloc.copyOf(input, off, off + k));
            off += k;
            afterEach.accept(channel);
        }
        channel.runPendingTasks();
        channel.checkException();
    }

    /** Moves the channel's clock on and runs what became due. */
    public void advanceMillis(long millis) {
        channel.advanceTimeBy(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
        channel.runPendingTasks();
        channel.runScheduledPendingTasks();
        channel.checkException();
    }

    /** Everything the channel wrote, concatenated; each written buffer is released. */
    public byte[] drainOutbound() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            try {
                if (o instanceof ByteBuf b) {
                    byte[] bytes = new byte[b.readableBytes()];
                    b.getBytes(b.readerIndex(), bytes);
                    out.writeBytes(bytes);
                } else {
                    throw new AssertionError("not bytes written: " + o);
                }
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        return out.toByteArray();
    }

    /** Closes the channel, releases what is left in it, and fails if a buffer it made is still held. */
    public void finish() {
        channel.close();
        channel.runPendingTasks();
        channel.finishAndReleaseAll();
        alloc.assertAllReleased();
    }

    /** Collects the bytes a handler passes on, releasing each buffer. */
    public static final class ByteSink extends ChannelInboundHandlerAdapter {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!(msg instanceof ByteBuf b)) {
                    throw new AssertionError("not bytes passed on: " + msg);
                }
                byte[] copy = new byte[b.readableBytes()];
                b.getBytes(b.readerIndex(), copy);
                bytes.writeBytes(copy);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        public byte[] bytes() {
            return bytes.toByteArray();
        }
    }

    /** The last handler: records what reached the end of the pipeline and closes, as the listener's last handler does. */
    public static final class ErrorCloser extends ChannelInboundHandlerAdapter {
        private final List<Throwable> errors = new ArrayList<>();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
            ctx.close();
        }

        public List<Throwable> errors() {
            return errors;
        }
    }
}
