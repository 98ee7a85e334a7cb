package io.meshj.proxy.internal.upstream;

import io.meshj.metrics.TcpMetrics;
import io.meshj.proxy.internal.Http2Windows;
import io.meshj.proxy.internal.QuietCloseHandler;
import io.meshj.proxy.internal.TcpMeter;
import io.meshj.proxy.internal.h2.H2ConnectionHandler;
import io.meshj.proxy.internal.h2.H2StreamListener;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * HTTP/2 upstreams (prior knowledge, h2c, or h2 over mTLS between meshj proxies): streams of shared
 * connections, opened on demand, several connections per event loop, address and identity when one
 * cannot take more streams.
 */
final class Http2Upstreams {

    private final Dialer dialer;
    private final int maxHeaderBytes;
    private final Map<Dialer.PoolKey, List<Http2Connection>> connections = new ConcurrentHashMap<>();

    Http2Upstreams(Dialer dialer, int maxHeaderBytes) {
        this.dialer = dialer;
        this.maxHeaderBytes = maxHeaderBytes;
    }

    int listCount() {
        return connections.size();
    }

    Future<UpstreamLease> acquire(Dialer.PoolKey key, UpstreamListener listener, Supplier<TcpMetrics.Connection> meter) {
        return acquire(key, listener, meter, true);
    }

    /** @param mayRetry whether a connection that turns out full may pass the request to another one */
    private Future<UpstreamLease> acquire(Dialer.PoolKey key, UpstreamListener listener,
            Supplier<TcpMetrics.Connection> meter, boolean mayRetry) {
        List<Http2Connection> list = connections.computeIfAbsent(key, k -> new ArrayList<>());
        Http2Connection usable = null;
        for (Http2Connection c : list) {
            if (c.canOpenStream()) {
                usable = c;
                break;
            }
        }
        if (usable == null) {
            usable = new Http2Connection(key, list, meter);
            list.add(usable); // before connecting: a failure removes it from the list again
            usable.connect();
        }
        return usable.openStream(listener, meter, mayRetry);
    }

    /**
     * One shared HTTP/2 connection; streams are opened on it until it is full, draining or gone.
     *
     * <p>The peer's limit on concurrent streams is only known from its first SETTINGS frame, and a
     * client that opens more streams than that gets them refused (or, past Netty's reserve, the whole
     * connection closed with a PROTOCOL_ERROR). So requests that arrive before then wait for the
     * SETTINGS, and no more of them than RFC 9113's recommended minimum of 100 wait on one connection;
     * the rest go to another.
     */
    private final class Http2Connection {
        /** Streams a peer can be assumed to allow before its SETTINGS say (RFC 9113 §6.5.2). */
        private static final int ASSUMED_MAX_CONCURRENT_STREAMS = 100;

        private final Dialer.PoolKey key;
        private final List<Http2Connection> siblings;
        private final H2ConnectionHandler handler;
        private final Supplier<TcpMetrics.Connection> meter;
        /** Connected and the peer's SETTINGS applied; fails if the connection fails first. */
        private final Promise<Void> ready;
        private final Bootstrap bootstrap;
        private ChannelFuture connectFuture;
        /** Requests waiting for {@link #ready}. */
        private int waiting;
        private boolean draining;

        Http2Connection(Dialer.PoolKey key, List<Http2Connection> siblings, Supplier<TcpMetrics.Connection> meter) {
            this.key = key;
            this.meter = meter;
            this.siblings = siblings;
            this.handler = H2ConnectionHandler.forClient()
                    .initialSettings(Http2Settings.defaultSettings()
                            .pushEnabled(false)
                            .maxHeaderListSize(maxHeaderBytes))
                    .validateHeaders(false)
                    .connectionWindow(Http2Windows.CONNECTION_WINDOW)
                    .build();
            handler.connection().addListener(new Http2ConnectionAdapter() {
                @Override
                public void onGoAwayReceived(int lastStreamId, long errorCode, ByteBuf debugData) {
                    // No new streams here; those in flight finish (or are refused individually).
                    retire();
                }
            });
            this.bootstrap = dialer.bootstrap(key.loop()).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    if (key.identity() != null) {
                        dialer.addTls(ch, key.identity(), key.address());
                    }
                    // Many requests share this connection; coalesce their flushes into one write per
                    // event-loop turn instead of one syscall per stream (gRPC-Java's WriteQueue does the same).
                    ch.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
                    ch.pipeline().addLast("h1-answer", new Http1AnswerDetector());
                    ch.pipeline().addLast("h2", handler);
                    ch.pipeline().addLast("watch", new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            retire();
                            ctx.fireChannelInactive();
                        }
                    });
                    ch.pipeline().addLast("errors", QuietCloseHandler.INSTANCE);
                }
            });
            this.ready = key.loop().newPromise();
        }

        /**
         * Looks at the first bytes the upstream sends: an HTTP/2 server's are a SETTINGS frame, whose
         * first byte (the high byte of a length under 16 KiB) is 0; an HTTP/1-only server answers the
         * preface, which it takes for a bad request, with a status line. That one fails the connection
         * with what it said instead of leaving the HTTP/2 codec to call it a framing error.
         */
        private final class Http1AnswerDetector extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.pipeline().remove(this);
                if (msg instanceof ByteBuf b && b.isReadable() && b.getByte(b.readerIndex()) == 'H') {
                    int end = b.readerIndex();
                    int limit = Math.min(b.writerIndex(), b.readerIndex() + 80);
                    while (end < limit && b.getByte(end) != '\r' && b.getByte(end) != '\n') {
                        end++;
                    }
                    String line = b.toString(b.readerIndex(), end - b.readerIndex(), java.nio.charset.StandardCharsets.US_ASCII);
                    b.release();
                    if (line.startsWith("HTTP/1.")) {
                        ready.tryFailure(new NotHttp2Exception(key.address().toString(), line));
                    }
                    retire();
                    ctx.close();
                    return;
                }
                ctx.fireChannelRead(msg);
            }
        }

        void connect() {
            this.connectFuture = bootstrap.connect(Dialer.socketAddress(key.address()));
            // A failure to create or register the channel completes the future elsewhere than on the
            // loop; the pool's state is the loop's alone.
            connectFuture.addListener((ChannelFuture f) -> onLoop(() -> onConnected(f)));
        }

        private void onConnected(ChannelFuture f) {
            if (!f.isSuccess()) {
                retire();
                ready.tryFailure(f.cause());
                return;
            }
            dialer.track(f.channel());
            TcpMeter.install(f.channel(), meter.get());
            handler.whenRemoteSettingsReceived(() -> ready.trySuccess(null));
            // A failed handshake closes the connection too; its reason says more than "closed".
            Dialer.whenSecured(f.channel(), key.identity()).addListener(s -> {
                if (!s.isSuccess()) {
                    ready.tryFailure(s.cause());
                }
            });
            f.channel().closeFuture().addListener(c -> ready.tryFailure(
                    new IllegalStateException("HTTP/2 connection to " + key.address() + " closed before its SETTINGS")));
            // A peer that accepts the connection but never speaks HTTP/2 must not hold requests for
            // ever: it gets as long as connecting may take.
            long timeout = dialer.connectTimeout().toNanos();
            key.loop().schedule(() -> {
                if (ready.tryFailure(new IllegalStateException("no HTTP/2 SETTINGS within "
                        + dialer.connectTimeout().toMillis() + " ms"))) {
                    retire();
                    f.channel().close();
                }
            }, timeout, TimeUnit.NANOSECONDS);
        }

        private void onLoop(Runnable r) {
            if (key.loop().inEventLoop()) {
                r.run();
            } else {
                key.loop().execute(r);
            }
        }

        boolean canOpenStream() {
            if (draining) {
                return false;
            }
            if (!ready.isDone()) {
                return waiting < ASSUMED_MAX_CONCURRENT_STREAMS;
            }
            return ready.isSuccess() && connectFuture.channel().isActive() && handler.canOpenStream();
        }

        void retire() {
            if (!draining) {
                draining = true;
                siblings.remove(this);
                if (siblings.isEmpty()) {
                    connections.remove(key, siblings); // nothing left for this address
                }
            }
        }

        /**
         * A stream for {@code listener}, once the connection is ready. Its lease's listener must write
         * the request head right away: the stream counts against the peer's limit from then on.
         */
        Future<UpstreamLease> openStream(UpstreamListener listener, Supplier<TcpMetrics.Connection> requester,
                boolean mayRetry) {
            if (ready.isDone()) {
                return open(listener, requester, mayRetry);
            }
            waiting++;
            Promise<UpstreamLease> promise = key.loop().newPromise();
            ready.addListener(f -> {
                waiting--;
                open(listener, requester, mayRetry).addListener((Future<UpstreamLease> opened) -> {
                    if (opened.isSuccess()) {
                        promise.trySuccess(opened.getNow());
                    } else {
                        promise.tryFailure(opened.cause());
                    }
                });
            });
            return promise;
        }

        private Future<UpstreamLease> open(UpstreamListener listener, Supplier<TcpMetrics.Connection> requester,
                boolean mayRetry) {
            if (!ready.isSuccess()) {
                return key.loop().newFailedFuture(ready.cause());
            }
            if (connectFuture.channel().isActive() && handler.canOpenStream()) {
                return key.loop().newSucceededFuture(new Http2Lease(handler.newStream(new StreamEvents(listener))));
            }
            // Full after all (the peer allows fewer streams than were waiting), or going away: another
            // connection takes the request, once.
            if (mayRetry) {
                return acquire(key, listener, requester, false);
            }
            return key.loop().newFailedFuture(new IllegalStateException("HTTP/2 connection to " + key.address()
                    + " takes no more streams"));
        }
    }

    /** Passes an upstream HTTP/2 stream's events to the request that opened it. */
    private record StreamEvents(UpstreamListener listener) implements H2StreamListener {
        @Override
        public void onMessage(HttpObject msg) {
            listener.onResponseObject(msg);
        }

        @Override
        public void onReadComplete() {
            listener.onUpstreamReadComplete();
        }

        @Override
        public void onWritabilityChanged(boolean writable) {
            listener.onUpstreamWritabilityChanged(writable);
        }

        @Override
        public void onReset(Http2Error error) {
            listener.onUpstreamReset(error);
        }

        @Override
        public void onRefused() {
            listener.onUpstreamRefused();
        }

        @Override
        public void onClosed(Throwable cause) {
            listener.onUpstreamClosed(cause);
        }
    }
}
