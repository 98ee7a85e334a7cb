package io.meshj.proxy.internal.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin endpoints: {@code GET /live} (the process answers), {@code GET /ready} (503 until the proxy
 * can serve, and again once it drains), {@code GET /metrics} (Prometheus text),
 * {@code GET /identity} (the certificate the proxy presents: names, validity, chain in PEM), and
 * {@code POST /shutdown} — from loopback only, so a Job's main container can end its sidecar.
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final BooleanSupplier ready;
    private final Supplier<String> metrics;
    private final Runnable shutdown;

    private final Supplier<String> identity;

    AdminHandler(BooleanSupplier ready, Supplier<String> metrics, Runnable shutdown, Supplier<String> identity) {
        this.identity = identity;
        this.ready = ready;
        this.metrics = metrics;
        this.shutdown = shutdown;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = new QueryStringDecoder(request.uri()).path();
        HttpMethod method = request.method();
        boolean get = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
        FullHttpResponse response;
        switch (path) {
            case "/live" -> response = get ? text(ctx, HttpResponseStatus.OK, "live\n") : notAllowed(ctx, "GET");
            case "/ready" -> response = !get ? notAllowed(ctx, "GET")
                    : ready.getAsBoolean() ? text(ctx, HttpResponseStatus.OK, "ready\n")
                    : text(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n");
            case "/metrics" -> {
                if (get) {
                    response = text(ctx, HttpResponseStatus.OK, metrics.get());
                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                } else {
                    response = notAllowed(ctx, "GET");
                }
            }
            case "/identity" -> {
                String described = get ? identity.get() : null;
                response = !get ? notAllowed(ctx, "GET") : described != null ? text(ctx, HttpResponseStatus.OK, described)
                        : text(ctx, HttpResponseStatus.NOT_FOUND, "this proxy has no certificate (no --identity, or not certified yet)\n");
            }
            case "/shutdown" -> {
                if (!method.equals(HttpMethod.POST)) {
                    response = notAllowed(ctx, "POST");
                } else if (!isLoopback(ctx)) {
                    response = text(ctx, HttpResponseStatus.FORBIDDEN, "shutdown is only accepted from localhost\n");
                } else {
                    response = text(ctx, HttpResponseStatus.OK, "shutting down\n");
                    ctx.writeAndFlush(response).addListener(f -> shutdown.run());
                    return;
                }
            }
            default -> response = text(ctx, HttpResponseStatus.NOT_FOUND, "not found: " + path + "\n");
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (method.equals(HttpMethod.HEAD)) {
            response.content().clear();
        }
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static boolean isLoopback(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                && a.getAddress().isLoopbackAddress();
    }

    private static FullHttpResponse notAllowed(ChannelHandlerContext ctx, String allow) {
        FullHttpResponse r = text(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        return r;
    }

    private static FullHttpResponse text(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        ByteBuf content = ByteBufUtil.writeUtf8(ctx.alloc(), body);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return r;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
