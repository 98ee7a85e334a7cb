package io.meshj.proxy.internal.upstream;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.Http2Windows;
import io.meshj.proxy.internal.QuietCloseHandler;
import io.meshj.proxy.internal.h2.H2ConnectionHandler;
import io.meshj.proxy.internal.h2.H2StreamListener;
import io.meshj.metrics.TcpMetrics;
import io.meshj.proxy.internal.TcpMeter;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Leases upstreams for requests: HTTP/1 connections from a keep-alive pool, or streams on shared
 * HTTP/2 connections (prior knowledge, h2c), opened on demand.
 *
 * <p>Pools are per event loop and per address, and connections are made on the requesting channel's
 * event loop, so a request and its upstream never cross threads. Everything here runs on that loop;
 * nothing blocks (names are resolved by the non-blocking DNS resolver given to the constructor).
 */
public final class UpstreamConnector {

    /** How long an HTTP/1 connection may sit unused in the pool. */
    static final Duration POOL_IDLE_TIMEOUT = Duration.ofSeconds(60);

    private final Transport transport;
    private final AddressResolverGroup<? extends SocketAddress> resolver;
    private final Duration connectTimeout;
    private final int maxHeaderBytes;
    private final ChannelGroup allChannels;
    private final ProxyTls tls;
    private final Map<PoolKey, Http1Pool> http1Pools = new ConcurrentHashMap<>();
    private final Map<PoolKey, List<Http2Connection>> http2Connections = new ConcurrentHashMap<>();

    public UpstreamConnector(Transport transport, AddressResolverGroup<? extends SocketAddress> resolver,
            Duration connectTimeout, int maxHeaderBytes, ChannelGroup allChannels, ProxyTls tls) {
        this.tls = tls;
        this.transport = transport;
        this.resolver = resolver;
        this.connectTimeout = connectTimeout;
        this.maxHeaderBytes = maxHeaderBytes;
        this.allChannels = allChannels;
    }

    /**
     * Leases an upstream to {@code address} for one request, speaking HTTP/2 or HTTP/1.1. The future
     * completes on {@code loop}; it fails when no connection could be made (or, with an identity, the
     * peer did not prove it).
     *
     * @param identity the identity the peer must present over mTLS, or null for plaintext (also
     *     plaintext when this proxy has no identity of its own to present)
     * @param meter the meters of a connection, asked for only when a new one is made
     */
    public Future<UpstreamLease> acquire(EventLoop loop, Authority address, String identity, boolean http2,
            UpstreamListener listener, Supplier<TcpMetrics.Connection> meter) {
        PoolKey key = new PoolKey(loop, address, tls == null ? null : identity);
        return http2 ? acquireStream(key, listener, meter) : acquireHttp1(key, listener, meter);
    }

    /** Pools (HTTP/1) and connection lists (HTTP/2) held now, by (event loop, address): for tests. */
    int poolCount() {
        return http1Pools.size() + http2Connections.size();
    }

    /**
     * Opens a TCP connection for opaque traffic, on {@code loop}, not pooled: plain, or mTLS when
     * {@code identity} is given (and this proxy has one); the future completes once it is usable.
     */
    public Future<Channel> connectTcp(EventLoop loop, Authority address, String identity, Supplier<TcpMetrics.Connection> meter) {
        String id = tls == null ? null : identity;
        Bootstrap b = bootstrap(loop)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, id != null) // a handshake needs reads; plain TCP waits for the relay
                .handler(id == null ? new ChannelInboundHandlerAdapter() : new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addFirst(SSL, tls.newClientHandler(ch.alloc(), id, address.port()));
                    }
                });
        Promise<Channel> promise = loop.newPromise();
        b.connect(socketAddress(address)).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
            }
            TcpMeter.install(f.channel(), meter.get());
            if (id == null) {
                promise.trySuccess(f.channel());
            } else {
                whenSecured(f.channel(), id).addListener((Future<Channel> secured) -> {
                    if (secured.isSuccess()) {
                        // The handshake needed reads; the relay decides about reading from now on.
                        f.channel().config().setAutoRead(false);
                        promise.trySuccess(f.channel());
                    } else {
                        promise.tryFailure(secured.cause());
                    }
                });
            }
        });
        return promise;
    }

    private static final String SSL = "tls";

    /**
     * Completes with {@code ch} once its TLS handshake is done (immediately for plaintext), or fails
     * with a reason naming the identity expected when the peer did not prove it.
     */
    private static Future<Channel> whenSecured(Channel ch, String identity) {
        io.netty.handler.ssl.SslHandler ssl = ch.pipeline().get(io.netty.handler.ssl.SslHandler.class);
        if (ssl == null) {
            return ch.eventLoop().newSucceededFuture(ch);
        }
        Promise<Channel> p = ch.eventLoop().newPromise();
        ssl.handshakeFuture().addListener(h -> {
            if (h.isSuccess()) {
                p.trySuccess(ch);
            } else {
                ch.close();
                javax.net.ssl.SSLHandshakeException e = new javax.net.ssl.SSLHandshakeException("mTLS handshake with "
                        + ch.remoteAddress() + " (expecting identity " + identity + ") failed: " + rootMessage(h.cause()));
                // Kept for its stack, as suppressed rather than as the cause: callers report the root
                // cause's message, and this message (which names the identity) is the one to see.
                e.addSuppressed(h.cause());
                p.tryFailure(e);
            }
        });
        return p;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    // ---- HTTP/1 ----

    private Future<UpstreamLease> acquireHttp1(PoolKey key, UpstreamListener listener, Supplier<TcpMetrics.Connection> meter) {
        Http1Pool pool = http1Pools.computeIfAbsent(key, k -> new Http1Pool(p -> http1Pools.remove(k, p)));
        Channel idle = pool.poll();
        Promise<UpstreamLease> promise = key.loop.newPromise();
        if (idle != null) {
            idle.pipeline().get(Http1UpstreamHandler.class).attach(listener);
            return promise.setSuccess(UpstreamLease.http1(idle, pool));
        }
        Bootstrap b = bootstrap(key.loop).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (key.identity != null) {
                    ch.pipeline().addLast(SSL, tls.newClientHandler(ch.alloc(), key.identity, key.address.port()));
                }
                ch.pipeline().addLast("codec", new HttpClientCodec(new HttpDecoderConfig()
                        .setMaxHeaderSize(maxHeaderBytes)
                        .setMaxInitialLineLength(maxHeaderBytes), false, false));
                ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, POOL_IDLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
                ch.pipeline().addLast("upstream", new Http1UpstreamHandler());
            }
        });
        pool.opening();
        b.connect(socketAddress(key.address)).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                key.loop.execute(pool::closed);
                promise.tryFailure(f.cause());
                return;
            }
            Channel ch = f.channel();
            allChannels.add(ch);
            TcpMeter.install(ch, meter.get());
            pool.track(ch);
            whenSecured(ch, key.identity).addListener((Future<Channel> secured) -> {
                if (!secured.isSuccess()) {
                    promise.tryFailure(secured.cause());
                    return;
                }
                ch.pipeline().get(Http1UpstreamHandler.class).attach(listener);
                if (!promise.trySuccess(UpstreamLease.http1(ch, pool))) {
                    ch.close();
                }
            });
        });
        return promise;
    }

    /**
     * Idle keep-alive connections to one address, used from one event loop. When its last connection
     * (open or being opened) is gone, it takes itself out of the connector's map, so addresses that
     * come and go (pods) do not accumulate pools.
     */
    static final class Http1Pool {
        private final ArrayDeque<Channel> idle = new ArrayDeque<>();
        private final java.util.function.Consumer<Http1Pool> onEmpty;
        private int connections;

        Http1Pool(java.util.function.Consumer<Http1Pool> onEmpty) {
            this.onEmpty = onEmpty;
        }

        /** A connection is being made for this pool. */
        void opening() {
            connections++;
        }

        /** A connection of this pool closed (or could not be made). */
        void closed() {
            if (--connections == 0) {
                onEmpty.accept(this);
            }
        }

        Channel poll() {
            Channel ch;
            while ((ch = idle.pollLast()) != null) {
                if (ch.isActive()) {
                    return ch;
                }
            }
            return null;
        }

        void offer(Channel ch) {
            idle.addLast(ch);
        }

        /** Forgets {@code ch} when it closes; registered once per connection, when it is made. */
        void track(Channel ch) {
            ch.closeFuture().addListener(f -> {
                idle.remove(ch);
                closed();
            });
        }
    }

    // ---- HTTP/2 ----

    private Future<UpstreamLease> acquireStream(PoolKey key, UpstreamListener listener, Supplier<TcpMetrics.Connection> meter) {
        return acquireStream(key, listener, meter, true);
    }

    /** @param mayRetry whether a connection that turns out full may pass the request to another one */
    private Future<UpstreamLease> acquireStream(PoolKey key, UpstreamListener listener, Supplier<TcpMetrics.Connection> meter,
            boolean mayRetry) {
        List<Http2Connection> connections = http2Connections.computeIfAbsent(key, k -> new ArrayList<>());
        Http2Connection usable = null;
        for (Http2Connection c : connections) {
            if (c.canOpenStream()) {
                usable = c;
                break;
            }
        }
        if (usable == null) {
            usable = new Http2Connection(key, connections, meter);
            connections.add(usable); // before connecting: a failure removes it from the list again
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

        private final PoolKey key;
        private final List<Http2Connection> siblings;
        private final H2ConnectionHandler handler;
        private final Supplier<TcpMetrics.Connection> meter;
        private ChannelFuture connectFuture;
        /** Connected and the peer's SETTINGS applied; fails if the connection fails first. */
        private final Promise<Void> ready;
        /** Requests waiting for {@link #ready}. */
        private int waiting;
        private Bootstrap bootstrap;
        private boolean draining;

        Http2Connection(PoolKey key, List<Http2Connection> siblings, Supplier<TcpMetrics.Connection> meter) {
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
            Bootstrap b = bootstrap(key.loop).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    // Many requests share this connection; coalesce their flushes into one write per
                    // event-loop turn instead of one syscall per stream (gRPC-Java's WriteQueue does the same).
                    if (key.identity != null) {
                        ch.pipeline().addLast(SSL, tls.newClientHandler(ch.alloc(), key.identity, key.address.port()));
                    }
                    ch.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
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
            this.ready = key.loop.newPromise();
            this.bootstrap = b;
        }

        void connect() {
            this.connectFuture = bootstrap.connect(socketAddress(key.address));
            // A failure to create or register the channel completes the future elsewhere than on the
            // loop; the pool's state is the loop's alone.
            connectFuture.addListener((ChannelFuture f) -> onLoop(() -> onConnected(f)));
        }

        private void onConnected(ChannelFuture f) {
            if (f.isSuccess()) {
                allChannels.add(f.channel());
                TcpMeter.install(f.channel(), meter.get());
                handler.whenRemoteSettingsReceived(() -> ready.trySuccess(null));
                // A failed handshake closes the connection too; its reason says more than "closed".
                whenSecured(f.channel(), key.identity).addListener(s -> {
                    if (!s.isSuccess()) {
                        ready.tryFailure(s.cause());
                    }
                });
                f.channel().closeFuture().addListener(c -> ready.tryFailure(
                        new IllegalStateException("HTTP/2 connection to " + key.address + " closed before its SETTINGS")));
                // A peer that accepts the connection but never speaks HTTP/2 must not hold requests
                // for ever: it gets as long as connecting may take.
                key.loop.schedule(() -> {
                    if (ready.tryFailure(new IllegalStateException("no HTTP/2 SETTINGS within "
                            + connectTimeout.toMillis() + " ms"))) {
                        retire();
                        f.channel().close();
                    }
                }, connectTimeout.toNanos(), TimeUnit.NANOSECONDS);
            } else {
                retire();
                ready.tryFailure(f.cause());
            }
        }

        private void onLoop(Runnable r) {
            if (key.loop.inEventLoop()) {
                r.run();
            } else {
                key.loop.execute(r);
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
                    http2Connections.remove(key, siblings); // nothing left for this address
                }
            }
        }

        /**
         * A stream for {@code listener}, once the connection is ready. Its lease's listener must write
         * the request head right away: the stream counts against the peer's limit from then on.
         */
        Future<UpstreamLease> openStream(UpstreamListener listener, Supplier<TcpMetrics.Connection> requester, boolean mayRetry) {
            if (ready.isDone()) {
                return open(listener, requester, mayRetry);
            }
            waiting++;
            Promise<UpstreamLease> promise = key.loop.newPromise();
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

        private Future<UpstreamLease> open(UpstreamListener listener, Supplier<TcpMetrics.Connection> requester, boolean mayRetry) {
            if (!ready.isSuccess()) {
                return key.loop.newFailedFuture(ready.cause());
            }
            if (connectFuture.channel().isActive() && handler.canOpenStream()) {
                return key.loop.newSucceededFuture(UpstreamLease.http2(handler.newStream(new StreamEvents(listener))));
            }
            // Full after all (the peer allows fewer streams than were waiting), or going away: another
            // connection takes the request, once.
            if (mayRetry) {
                return acquireStream(key, listener, requester, false);
            }
            return key.loop.newFailedFuture(new IllegalStateException("HTTP/2 connection to " + key.address
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

    // ---- common ----

    private Bootstrap bootstrap(EventLoop loop) {
        return new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .resolver(resolver)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis());
    }

    private static SocketAddress socketAddress(Authority address) {
        if (address.isIpAddress()) {
            return new InetSocketAddress(address.toInetAddress(), address.port());
        }
        // Resolved by the (non-blocking) resolver group when connecting.
        return InetSocketAddress.createUnresolved(address.host(), address.port());
    }

    /** Connections are shared per loop, address, and identity expected (null: plaintext). */
    private record PoolKey(EventLoop loop, Authority address, String identity) {
    }
}
