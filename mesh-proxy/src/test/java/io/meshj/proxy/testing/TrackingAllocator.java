package io.meshj.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocator for a channel under a fuzz target that remembers every buffer it hands out, so that
 * {@link #assertAllReleased} can say, after each input, exactly which of them is still held.
 *
 * <p>Netty's paranoid leak detector reports a leak only once the garbage collector has found the
 * buffer, long after the input that leaked it; this check is exact and immediate, so the fuzzer's
 * reproducer is the input that leaked. The buffers are unpooled (a released buffer is never reused, so
 * its {@code refCnt()} stays 0) and made without the detector's wrapper, which records a stack trace on
 * every access at the paranoid level and would slow the fuzzer tenfold; buffers that Netty makes
 * elsewhere still go through the detector.
 */
public final class TrackingAllocator implements ByteBufAllocator {

    private final ByteBufAllocator delegate = new UnpooledByteBufAllocator(false, true);
    private final List<ByteBuf> made = new ArrayList<>();

    /** A tracked buffer holding {@code bytes[from..to)}. */
    public ByteBuf copyOf(byte[] bytes, int from, int to) {
        return heapBuffer(Math.max(1, to - from)).writeBytes(bytes, from, to - from);
    }

    @Override
    public ByteBuf buffer() {
        return track(delegate.buffer());
    }

    @Override
    public ByteBuf buffer(int initialCapacity) {
        return track(delegate.buffer(initialCapacity));
    }

    @Override
    public ByteBuf buffer(int initialCapacity, int maxCapacity) {
        return track(delegate.buffer(initialCapacity, maxCapacity));
    }

    @Override
    public ByteBuf ioBuffer() {
        return track(delegate.ioBuffer());
    }

    @Override
    public ByteBuf ioBuffer(int initialCapacity) {
        return track(delegate.ioBuffer(initialCapacity));
    }

    @Override
    public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
        return track(delegate.ioBuffer(initialCapacity, maxCapacity));
    }

    @Override
    public ByteBuf heapBuffer() {
        return track(delegate.heapBuffer());
    }

    @Override
    public ByteBuf heapBuffer(int initialCapacity) {
        return track(delegate.heapBuffer(initialCapacity));
    }

    @Override
    public ByteBuf heapBuffer(int initialCapacity, int maxCapacity) {
        return track(delegate.heapBuffer(initialCapacity, maxCapacity));
    }

    @Override
    public ByteBuf directBuffer() {
        return track(delegate.directBuffer());
    }

    @Override
    public ByteBuf directBuffer(int initialCapacity) {
        return track(delegate.directBuffer(initialCapacity));
    }

    @Override
    public ByteBuf directBuffer(int initialCapacity, int maxCapacity) {
        return track(delegate.directBuffer(initialCapacity, maxCapacity));
    }

    @Override
    public CompositeByteBuf compositeBuffer() {
        return track(delegate.compositeBuffer());
    }

    @Override
    public CompositeByteBuf compositeBuffer(int maxNumComponents) {
        return track(delegate.compositeBuffer(maxNumComponents));
    }

    @Override
    public CompositeByteBuf compositeHeapBuffer() {
        return track(delegate.compositeHeapBuffer());
    }

    @Override
    public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
        return track(delegate.compositeHeapBuffer(maxNumComponents));
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer() {
        return track(delegate.compositeDirectBuffer());
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
        return track(delegate.compositeDirectBuffer(maxNumComponents));
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    @Override
    public int calculateNewCapacity(int minNewCapacity, int maxCapacity) {
        return delegate.calculateNewCapacity(minNewCapacity, maxCapacity);
    }

    private <B extends ByteBuf> B track(B b) {
        made.add(b);
        return b;
    }

    /** How many buffers were handed out so far. */
    public int allocations() {
        return made.size();
    }

    /** Fails naming the buffers that are still referenced. */
    public void assertAllReleased() {
        List<String> held = new ArrayList<>();
        for (ByteBuf b : made) {
            if (b.refCnt() != 0) {
                held.add(b.toString() + " refCnt=" + b.refCnt());
            }
        }
        if (!held.isEmpty()) {
            throw new AssertionError(held.size() + " of " + made.size() + " buffers still held: " + held);
        }
    }
}
