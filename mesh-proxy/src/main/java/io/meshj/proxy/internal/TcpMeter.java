package io.meshj.proxy.internal;

import io.meshj.metrics.TcpMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.unix.Errors;
import java.io.IOException;

/**
 * Counts a connection's bytes on the wire (first in the pipeline, so TLS records count as sent) into
 * its {@link TcpMetrics.Connection}, and reports its close, with the errno of an I/O error that ended
 * it (ECONNRESET, ...).
 */
public final class TcpMeter extends ChannelDuplexHandler {

    private final TcpMetrics.Connection connection;
    private String errno;

    private TcpMeter(TcpMetrics.Connection connection) {
        this.connection = connection;
    }

    /** Meters {@code ch} from now on: its bytes, and its close. */
    public static void install(Channel ch, TcpMetrics.Connection connection) {
        TcpMeter meter = new TcpMeter(connection);
        ch.pipeline().addFirst("tcp-meter", meter);
        ch.closeFuture().addListener(f -> connection.closed(meter.errno));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        connection.read(size(msg));
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        long n = size(msg);
        if (n > 0) {
            connection.wrote(n);
        }
        ctx.write(msg, promise);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (errno == null && cause instanceof Errors.NativeIoException e) {
            errno = errnoName(e.expectedErr());
        } else if (errno == null && cause instanceof IOException) {
            errno = "EIO";
        }
        ctx.fireExceptionCaught(cause);
    }

    private static String errnoName(int err) {
        // Netty reports the negated errno.
        return switch (-err) {
            case 104 -> "ECONNRESET";
            case 32 -> "EPIPE";
            case 110 -> "ETIMEDOUT";
            case 113 -> "EHOSTUNREACH";
            default -> "E" + (-err);
        };
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf b) {
            return b.readableBytes();
        }
        if (msg instanceof ByteBufHolder h) {
            return h.content().readableBytes();
        }
        return 0;
    }
}
