package io.meshj.proxy.internal.tap;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.meshj.core.tap.TapBus;
import io.meshj.core.tap.TapService;
import io.meshj.proxy.internal.tls.ProxyTls;
import io.meshj.proxy.internal.transport.Transport;
import io.meshj.tls.MeshGrpcCredentials;
import io.meshj.tls.MeshTrustManager;
import io.meshj.tls.WorkloadIdentity;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.ClientAuth;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Serves the tap API for the proxy's {@link TapBus} on the proxy's event loops. Tap shows request
 * paths and headers, so who may call is narrow, as Linkerd's tap server: with an identity, only
 * clients presenting the controller's identity in mTLS (anyone else fails the handshake); without an
 * identity there is no way to know the controller, so only callers on loopback are served.
 */
public final class TapServer implements AutoCloseable {

    private final Server server;
    private final ExecutorService sender;

    private TapServer(Server server, ExecutorService sender) {
        this.server = server;
        this.sender = sender;
    }

    /**
     * Binds {@code listen}. {@code tls} null: plaintext for loopback callers; else mTLS requiring
     * {@code controllerIdentity}.
     */
    public static TapServer start(InetSocketAddress listen, TapBus bus, Transport transport, EventLoopGroup group,
            ProxyTls tls, List<X509Certificate> anchors, WorkloadIdentity controllerIdentity) {
        // Events are sent from one thread of tap's own: never an event loop, which only publishes.
        ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "meshj-tap");
            t.setDaemon(true);
            return t;
        });
        TapService service = new TapService(bus, sender);
        NettyServerBuilder b = tls == null ? NettyServerBuilder.forAddress(listen)
                : NettyServerBuilder.forAddress(listen, MeshGrpcCredentials.server(tls.certifier(), anchors,
                        MeshTrustManager.IdentityPolicy.exactly(controllerIdentity), ClientAuth.REQUIRE));
        b.bossEventLoopGroup(group).workerEventLoopGroup(group).channelType(transport.serverChannel())
                .executor(sender)
                .addService(tls == null ? ServerInterceptors.intercept(service, new LoopbackOnly()) : service.bindService());
        try {
            return new TapServer(b.build().start(), sender);
        } catch (IOException e) {
            sender.shutdownNow();
            throw new IllegalStateException("cannot bind the tap server to " + listen + ": " + e.getMessage(), e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getListenSockets().get(0);
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.shutdownNow();
    }

    /** Refuses callers that are not on this host's loopback. */
    static final class LoopbackOnly implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            if (!(remote instanceof InetSocketAddress a) || a.getAddress() == null || !a.getAddress().isLoopbackAddress()) {
                call.close(Status.PERMISSION_DENIED.withDescription(
                        "this proxy has no identity: tap is served to loopback callers only"), new Metadata());
                return new ServerCall.Listener<>() { };
            }
            return next.startCall(call, headers);
        }
    }
}
