package io.meshj.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Two {@link EmbeddedChannel}s joined back to back, as a socket would join them: what one writes the
 * other reads. Lets protocol handlers (HTTP/2 framing, HPACK, flow control) talk to a real peer without
 * a socket, step by step.
 */
public final class EmbeddedWire {

    private EmbeddedWire() {
    }

    /** Carries bytes both ways (and runs tasks) until neither side has anything more to say. */
    public static void exchange(EmbeddedChannel a, EmbeddedChannel b) {
        boolean moved;
        do {
            moved = carry(a, b) | carry(b, a);
        } while (moved);
    }

    private static boolean carry(EmbeddedChannel from, EmbeddedChannel to) {
        from.runPendingTasks();
        boolean moved = false;
        ByteBuf buf;
        while ((buf = from.readOutbound()) != null) {
            moved = true;
            to.writeInbound(buf);
        }
        to.runPendingTasks();
        return moved;
    }
}
