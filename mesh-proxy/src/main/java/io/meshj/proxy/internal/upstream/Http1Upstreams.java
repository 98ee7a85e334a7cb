package io.meshj.proxy.internal.upstream;

import io.meshj.metrics.TcpMetrics;
import io.meshj.proxy.internal.TcpMeter;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** HTTP/1.1 upstreams: keep-alive connections, pooled per event loop, address and identity. */
final class Http1Upstreams {

    /** How long an HTTP/1 connection may sit unused in the pool. */
    static final Duration POOL_IDLE_TIMEOUT = Duration.ofSeconds(60);

    // The handlers of a pooled connection, by name: a tunnel (an accepted upgrade) removes them.
    static final String CODEC = "codec";
    static final String IDLE = "idle";
    static final String HANDLER = "upstream";

    private final Dialer dialer;
    private final int maxHeaderBytes;
    private final Map<Dialer.PoolKey, Http1Pool> pools = new ConcurrentHashMap<>();

    Http1Upstreams(Dialer dialer, int maxHeaderBytes) {
        this.dialer = dialer;
        this.maxHeaderBytes = maxHeaderBytes;
    }

    int poolCount() {
        return pools.size();
    }

    Future<UpstreamLease> acquire(Dialer.PoolKey key, UpstreamListener listener, Supplier<TcpMetrics.Connection> meter) {
        Http1Pool pool = pools.computeIfAbsent(key, k -> new Http1Pool(p -> pools.remove(k, p)));
        Channel idle = pool.poll();
        Promise<UpstreamLease> promise = key.loop().newPromise();
        if (idle != null) {
            idle.pipeline().get(Http1UpstreamHandler.class).attach(listener);
            return promise.setSuccess(new Http1Lease(idle, pool));
        }
        Bootstrap b = dialer.bootstrap(key.loop()).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (key.identity() != null) {
                    dialer.addTls(ch, key.identity(), key.address());
                }
                ch.pipeline().addLast(CODEC, new HttpClientCodec(new HttpDecoderConfig()
                        .setMaxHeaderSize(maxHeaderBytes)
                        .setMaxInitialLineLength(maxHeaderBytes), false, false));
                ch.pipeline().addLast(IDLE, new IdleStateHandler(0, 0, POOL_IDLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
                ch.pipeline().addLast(HANDLER, new Http1UpstreamHandler());
            }
        });
        pool.opening();
        b.connect(Dialer.socketAddress(key.address())).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                key.loop().execute(pool::closed);
                promise.tryFailure(f.cause());
                return;
            }
            Channel ch = f.channel();
            dialer.track(ch);
            TcpMeter.install(ch, meter.get());
            pool.track(ch);
            Dialer.whenSecured(ch, key.identity()).addListener((Future<Channel> secured) -> {
                if (!secured.isSuccess()) {
                    promise.tryFailure(secured.cause());
                    return;
                }
                ch.pipeline().get(Http1UpstreamHandler.class).attach(listener);
                if (!promise.trySuccess(new Http1Lease(ch, pool))) {
                    ch.close();
                }
            });
        });
        return promise;
    }
}
