package io.meshj.proxy.internal.tls;

import io.meshj.core.name.Authority;
import io.meshj.core.name.InvalidAuthorityException;
import io.meshj.proxy.internal.detect.FirstBytesDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * The header an outbound proxy writes first on an opaque TCP connection it carries over mTLS to a
 * meshed endpoint's proxy, naming the endpoint (so one inbound port fronts every application port,
 * as Linkerd's opaque-transport header does): the bytes {@code 00 'M' 'J' 'T'}, a two-byte length,
 * and the endpoint as ASCII {@code host:port}.
 *
 * <p>No HTTP/1 request or HTTP/2 preface starts with a zero byte, so the inbound side tells a header
 * from the first bytes of HTTP at once. Only mTLS connections are checked for one: a header from a
 * plaintext client would be a claim nobody vouches for.
 */
public final class TransportHeader {

    private static final byte[] MAGIC = {0, 'M', 'J', 'T'};
    private static final int MAX_LENGTH = 512;

    private TransportHeader() {
    }

    /** The header naming {@code endpoint}. */
    public static ByteBuf encode(ByteBufAllocator alloc, Authority endpoint) {
        byte[] name = endpoint.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuf b = alloc.buffer(MAGIC.length + 2 + name.length);
        return b.writeBytes(MAGIC).writeShort(name.length).writeBytes(name);
    }

    /** What the inbound side does once it knows whether a header came. */
    public interface Listener {
        /** A header named {@code endpoint}; the connection is opaque TCP for it. */
        void header(ChannelHandlerContext ctx, Authority endpoint);

        /** No header: the connection proceeds as any other. */
        void noHeader(ChannelHandlerContext ctx);
    }

    /**
     * Reads a header if the connection starts with one, then removes itself (passing on every byte
     * after it). Silence for the timeout counts as no header.
     */
    public static final class Decoder extends FirstBytesDecoder {
        private final Listener listener;

        public Decoder(Duration timeout, Listener listener) {
            super(timeout);
            this.listener = listener;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (decided() || !in.isReadable()) {
                return;
            }
            int start = in.readerIndex();
            int known = Math.min(in.readableBytes(), MAGIC.length);
            for (int i = 0; i < known; i++) {
                if (in.getByte(start + i) != MAGIC[i]) {
                    decide(ctx, () -> listener.noHeader(ctx));
                    return;
                }
            }
            if (in.readableBytes() < MAGIC.length + 2) {
                return;
            }
            int length = in.getUnsignedShort(start + MAGIC.length);
            if (length == 0 || length > MAX_LENGTH) {
                throw new DecoderException("transport header length " + length + " is out of range 1-" + MAX_LENGTH);
            }
            if (in.readableBytes() < MAGIC.length + 2 + length) {
                return;
            }
            String name = in.toString(start + MAGIC.length + 2, length, StandardCharsets.US_ASCII);
            in.skipBytes(MAGIC.length + 2 + length);
            Authority endpoint;
            try {
                endpoint = Authority.parse(name);
            } catch (InvalidAuthorityException e) {
                throw new DecoderException("transport header names no endpoint: " + e.getMessage());
            }
            decide(ctx, () -> listener.header(ctx, endpoint));
        }

        @Override
        protected void timedOut(ChannelHandlerContext ctx) {
            decide(ctx, () -> listener.noHeader(ctx));
        }
    }
}
