package io.meshj.proxy.internal.upstream;

import io.meshj.core.name.Authority;
import io.meshj.metrics.TcpMetrics;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Where requests and opaque connections get their upstreams. {@link UpstreamConnector} dials real
 * connections; tests of the request path give it a fake.
 *
 * <p>Called on {@code loop}, and every future completes there: a request and its upstream never cross
 * threads. Nothing blocks.
 */
public interface Upstreams {

    /**
     * Leases an upstream to {@code address} for one request, speaking HTTP/2 or HTTP/1.1. Fails when no
     * connection could be made (or, with an identity, the peer did not prove it).
     *
     * @param identity the identity the peer must present over mTLS, or null for plaintext (also
     *     plaintext when this proxy has no identity of its own to present)
     * @param meter the meters of a connection, asked for only when a new one is made
     */
    Future<UpstreamLease> acquire(EventLoop loop, Authority address, String identity, boolean http2,
            UpstreamListener listener, Supplier<TcpMetrics.Connection> meter);

    /**
     * Opens a TCP connection for opaque traffic, not pooled: plain, or mTLS when {@code identity} is given
     * (and this proxy has one); completes once it is usable, with reading off.
     */
    Future<Channel> connectTcp(EventLoop loop, Authority address, String identity, Supplier<TcpMetrics.Connection> meter);
}
