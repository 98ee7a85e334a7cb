package io.meshj.proxy.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The last handler of connection-level pipelines: a peer that resets its connection or sends bytes
 * the codec rejects (the codec has already answered, e.g. with GOAWAY) is the peer's problem, not a
 * proxy error worth a warning — the connection is closed and the event noted at debug level.
 */
@ChannelHandler.Sharable
public final class QuietCloseHandler extends ChannelInboundHandlerAdapter {

    public static final QuietCloseHandler INSTANCE = new QuietCloseHandler();

    private static final System.Logger LOG = System.getLogger(QuietCloseHandler.class.getName());

    private QuietCloseHandler() {
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(System.Logger.Level.DEBUG, () -> "closing " + ctx.channel() + ": " + cause);
        ctx.close();
    }
}
