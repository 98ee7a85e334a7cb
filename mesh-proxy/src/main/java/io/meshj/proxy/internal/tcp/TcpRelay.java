package io.meshj.proxy.internal.tcp;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * Relays bytes between two connected channels, one handler on each side, with backpressure and TCP
 * half-close:
 *
 * <ul>
 *   <li>a side stops reading while its peer is not writable, so a slow reader on one end holds the
 *       other end's data in the kernel's socket buffers, not in the proxy's memory;</li>
 *   <li>end of input on one side shuts down output on the other (FIN for FIN), so request/response
 *       protocols that half-close still get their answer; the pair closes when both directions ended or
 *       either side closes or fails;</li>
 *   <li>a pair that carries no byte either way for its idle timeout is closed, so that a peer that
 *       went silent (or never spoke) does not hold two connections, one of them to the application,
 *       for ever.</li>
 * </ul>
 *
 * <p>Both channels need {@code ALLOW_HALF_CLOSURE} and should start with auto-read off; {@link #splice}
 * turns reading on once both handlers are in place.
 */
public final class TcpRelay extends ChannelInboundHandlerAdapter {

    private final Channel peer;
    private final IdleWatch idle;
    private boolean inputShutdown;
    private boolean peerInputShutdown;
    private TcpRelay peerRelay;

    private TcpRelay(Channel peer, IdleWatch idle) {
        this.peer = peer;
        this.idle = idle;
    }

    /**
     * Connects {@code a} and {@code b}: installs a relay as the last handler of each pipeline and
     * starts reading both. Bytes already queued in either pipeline (e.g. what detection peeked) flow
     * through as soon as the relays are added, so call this from the event loop of {@code a}.
     */
    public static void splice(Channel a, Channel b, java.time.Duration idleTimeout) {
        IdleWatch idle = idleTimeout.isZero() ? null : new IdleWatch(a, b, idleTimeout.toNanos());
        TcpRelay toB = new TcpRelay(b, idle);
        TcpRelay toA = new TcpRelay(a, idle);
        toB.peerRelay = toA;
        toA.peerRelay = toB;
        a.pipeline().addLast("tcp-relay", toB);
        b.pipeline().addLast("tcp-relay", toA);
        startReading(a, b);
        startReading(b, a);
        if (idle != null) {
            idle.start();
        }
    }

    /**
     * Reads {@code ch} while {@code peer} takes writes — unless its input already ended (the FIN came
     * while the connection was being set up): epoll has dropped such a socket's read interest, and
     * asking for reads again fails (epoll_ctl ENOENT) and would close the connection, losing what the
     * other direction still has to say.
     */
    private static void startReading(Channel ch, Channel peer) {
        if (ch instanceof DuplexChannel d && d.isInputShutdown()) {
            return;
        }
        ch.config().setAutoRead(peer.isWritable());
        ch.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (idle != null) {
            idle.busy = true;
        }
        if (!peer.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        peer.write(msg, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        if (!peer.isWritable()) {
            // Stop reading until the peer drains; channelWritabilityChanged on the peer resumes us.
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !peerInputShutdown) {
            peer.config().setAutoRead(true);
            peer.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            if (peerRelay != null) {
                peerRelay.peerInputShutdown = true;
            }
            if (peer.isActive() && TcpFrames.isFramed(peer)) {
                peer.writeAndFlush(TcpFrames.END); // the peer proxy passes the FIN on
            } else if (peer instanceof DuplexChannel duplex && peer.isActive()) {
                // Pass the FIN on once everything read so far has been written.
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> duplex.shutdownOutput());
            }
            if (peerRelay == null || peerRelay.inputShutdown) {
                closeBoth(ctx.channel());
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeBoth(ctx.channel());
    }

    /**
     * Closes a pair that carried nothing for its timeout. Checks twice per timeout whether anything
     * was read since the previous check (a flag per read, no clock read per read), so a silent pair
     * closes between one and one and a half timeouts after its last byte. Both channels share one
     * event loop (the upstream is connected on the downstream's), which runs the checks.
     */
    private static final class IdleWatch implements Runnable {
        private final Channel a;
        private final Channel b;
        private final long halfPeriodNanos;
        private boolean busy = true;
        private boolean quietOnce;

        IdleWatch(Channel a, Channel b, long timeoutNanos) {
            this.a = a;
            this.b = b;
            this.halfPeriodNanos = Math.max(1, timeoutNanos / 2);
        }

        void start() {
            a.eventLoop().schedule(this, halfPeriodNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }

        @Override
        public void run() {
            if (!a.isActive() && !b.isActive()) {
                return;
            }
            if (busy) {
                busy = false;
                quietOnce = false;
            } else if (quietOnce) {
                a.close();
                b.close();
                return;
            } else {
                quietOnce = true;
            }
            start();
        }
    }

    private void closeBoth(Channel self) {
        self.close();
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
