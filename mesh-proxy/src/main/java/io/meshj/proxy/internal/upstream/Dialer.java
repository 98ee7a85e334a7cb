package io.meshj.proxy.internal.upstream;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;

/**
 * What every upstream connection is made with, whatever it will carry: the transport, the non-blocking
 * resolver, the connect timeout, the proxy's mTLS (null: plaintext only) and the group of every channel
 * made (closed at shutdown).
 */
final class Dialer {

    static final String TLS = "tls";

    private final Transport transport;
    private final AddressResolverGroup<? extends SocketAddress> resolver;
    private final Duration connectTimeout;
    private final ProxyTls tls;
    private final ChannelGroup allChannels;

    Dialer(Transport transport, AddressResolverGroup<? extends SocketAddress> resolver, Duration connectTimeout,
            ProxyTls tls, ChannelGroup allChannels) {
        this.transport = transport;
        this.resolver = resolver;
        this.connectTimeout = connectTimeout;
        this.tls = tls;
        this.allChannels = allChannels;
    }

    Bootstrap bootstrap(EventLoop loop) {
        return new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .resolver(resolver)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis());
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    /** The identity to demand of a peer: none when this proxy has no identity to present itself. */
    String identityToCheck(String identity) {
        return tls == null ? null : identity;
    }

    /** Adds the client side of mTLS, expecting {@code identity}, first in {@code ch}'s pipeline. */
    void addTls(Channel ch, String identity, Authority address) {
        ch.pipeline().addFirst(TLS, tls.newClientHandler(ch.alloc(), identity, address.port()));
    }

    /** Tracks {@code ch} for shutdown. */
    void track(Channel ch) {
        allChannels.add(ch);
    }

    static SocketAddress socketAddress(Authority address) {
        if (address.isIpAddress()) {
            return new InetSocketAddress(address.toInetAddress(), address.port());
        }
        // Resolved by the (non-blocking) resolver group when connecting.
        return InetSocketAddress.createUnresolved(address.host(), address.port());
    }

    /**
     * Completes with {@code ch} once its TLS handshake is done (immediately for plaintext), or fails
     * with a reason naming the identity expected when the peer did not prove it.
     */
    static Future<Channel> whenSecured(Channel ch, String identity) {
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return ch.eventLoop().newSucceededFuture(ch);
        }
        Promise<Channel> p = ch.eventLoop().newPromise();
        ssl.handshakeFuture().addListener(h -> {
            if (h.isSuccess()) {
                p.trySuccess(ch);
            } else {
                ch.close();
                SSLHandshakeException e = new SSLHandshakeException("mTLS handshake with " + ch.remoteAddress()
                        + " (expecting identity " + identity + ") failed: " + rootMessage(h.cause()));
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

    /** Connections are shared per loop, address, and identity expected (null: plaintext). */
    record PoolKey(EventLoop loop, Authority address, String identity) {
    }
}
