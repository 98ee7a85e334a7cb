package io.meshj.proxy.internal.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;

/** Pausing and resuming reads on one side of an exchange while the other side cannot take more. */
final class Backpressure {

    private Backpressure() {
    }

    static void pause(Channel ch) {
        ch.config().setAutoRead(false);
    }

    /**
     * Resumes reading {@code ch}. For an HTTP/2 stream, reading returns flow-control window to the peer:
     * the stream writes a WINDOW_UPDATE on its connection, but when the read is resumed from another
     * connection's events (here: the other side became writable) nothing flushes that connection, and
     * both peers wait for each other forever — netty/netty#10072 describes the pattern. Flushing the
     * stream's connection here is cheap (nothing else is pending on it in that case) and sends the
     * update.
     */
    static void resume(Channel ch) {
        ch.config().setAutoRead(true);
        ch.read();
        if (ch instanceof Http2StreamChannel) {
            ch.parent().flush();
        }
    }
}
