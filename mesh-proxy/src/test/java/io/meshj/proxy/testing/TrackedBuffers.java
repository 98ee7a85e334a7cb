package io.meshj.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bodies a test hands to the proxy, made so that their ownership can be checked: direct and
 * unpooled, so Netty's leak detector tracks them and a released buffer is never reused for another
 * (its refCnt() stays 0); {@link #assertAllReleased} at the end says whether each was released.
 */
public final class TrackedBuffers {

    private final List<ByteBuf> made = new ArrayList<>();

    public ByteBuf of(String s) {
        ByteBuf b = Unpooled.directBuffer(Math.max(1, s.length()));
        b.writeCharSequence(s, StandardCharsets.ISO_8859_1);
        made.add(b);
        return b;
    }

    public void assertAllReleased() {
        assertThat(made).as("bodies still held").allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }
}
