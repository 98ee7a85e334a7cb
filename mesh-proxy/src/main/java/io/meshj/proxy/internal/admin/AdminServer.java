package io.meshj.proxy.internal.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** The admin server's pipeline: small HTTP/1 requests, aggregated (they have no bodies worth streaming). */
public final class AdminServer extends ChannelInitializer<Channel> {

    private static final int MAX_ADMIN_REQUEST_BYTES = 8 * 1024;

    private final BooleanSupplier ready;
    private final Supplier<String> metrics;
    private final Runnable shutdown;
    private final Supplier<String> identity;

    /** @param identity describes the proxy's current certificate, or returns null when it has none */
    public AdminServer(BooleanSupplier ready, Supplier<String> metrics, Runnable shutdown, Supplier<String> identity) {
        this.ready = ready;
        this.metrics = metrics;
        this.shutdown = shutdown;
        this.identity = identity;
    }

    @Override
    protected void initChannel(Channel ch) {
        // The proxy's listeners allow half-closed connections (opaque TCP needs them); an admin client
        // that closes its side is done, and Netty should close ours rather than leave it in CLOSE_WAIT.
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
        ch.pipeline().addLast(new HttpServerCodec());
        ch.pipeline().addLast(new HttpObjectAggregator(MAX_ADMIN_REQUEST_BYTES));
        ch.pipeline().addLast(new AdminHandler(ready, metrics, shutdown, identity));
    }
}
