package io.meshj.proxy.internal.call;

import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.proxy.internal.ProxyError;
import io.meshj.proxy.internal.route.Target;
import io.meshj.proxy.internal.upstream.NotHttp2Exception;
import io.meshj.proxy.internal.upstream.UpstreamLease;
import io.meshj.proxy.internal.upstream.UpstreamListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;

/**
 * One attempt of a request at the target routing picked: leases an upstream for it, tells the balancer
 * how the attempt went (its latency, success or failure, measured from the attempt's own start so that
 * a retried request does not charge one endpoint for another's time), and passes the upstream's events
 * on to its {@link ProxyCall} in the call's terms.
 *
 * <p>What stays here is the upstream's business: a stream an HTTP/2 upstream refused before processing
 * it is sent again on another stream, as RFC 9113 §8.7 allows (a request whose head is all of it); the
 * empty end the HTTP/1 decoder appends to an informational head is dropped; a head the decoder could not
 * parse, or a 101 nobody asked for, is a protocol error; and whether the upstream keeps its HTTP/1
 * connection alive is remembered for the lease's release.
 *
 * <p>An attempt the call gave up (a retry follows) or that ended is {@link #detach detached}: whatever
 * its upstream still says is dropped. Event loop only.
 */
final class UpstreamAttempt implements UpstreamListener, GenericFutureListener<Future<UpstreamLease>> {

    private final ProxyCall call;
    private final ProxyContext context;
    private final EventLoop loop;
    private final Target target;
    private final boolean http2;
    /** Nothing but the head makes the request: it can be sent again after a refusal. */
    private final boolean resendable;
    private final long startNanos;
    private UpstreamLease lease;
    private boolean headSeen;
    private boolean skipInformationalEnd;
    private boolean keepAlive = true;
    private boolean detached;

    /**
     * @param upgrade the request is an HTTP/1 upgrade handshake
     * @param resendable nothing but its head makes the request
     * @param startNanos when the attempt started (the request's head, for its first)
     */
    UpstreamAttempt(ProxyCall call, ProxyContext context, Downstream down, HttpRequest request, Target target,
            boolean upgrade, boolean resendable, long startNanos) {
        this.call = call;
        this.context = context;
        this.loop = down.eventLoop();
        this.target = target;
        this.http2 = speaksHttp2(context, down, request, target, upgrade);
        this.resendable = resendable;
        this.startNanos = startNanos;
    }

    /** Whether the upstream is spoken to in HTTP/2 (else HTTP/1.1). */
    private static boolean speaksHttp2(ProxyContext context, Downstream down, HttpRequest request, Target target,
            boolean upgrade) {
        if (upgrade) {
            return false; // an upgrade handshake only exists in HTTP/1
        }
        if (!context.isInbound() && target.hint() == ProtocolHint.H2) {
            return true; // meshed: HTTP/1 crosses as a stream of the shared HTTP/2 connection
        }
        if (context.isInbound() && request.headers().contains(HopByHop.ORIG_PROTO)) {
            return false; // it was HTTP/1 when the client sent it; give the application HTTP/1
        }
        return down.isHttp2();
    }

    /** Leases an upstream; the call hears {@link ProxyCall#onLeased} or a failure. */
    void start() {
        context.upstreams().acquire(loop, target.address(), target.identity(), http2, this,
                context.connectionMeter(target)).addListener(this);
    }

    Target target() {
        return target;
    }

    /** The lease, once there is one. */
    UpstreamLease lease() {
        return lease;
    }

    /** True when the upstream lets its HTTP/1 connection be used again after this exchange. */
    boolean keepAlive() {
        return keepAlive;
    }

    // ---- what the balancer learns of the attempt ----

    /** The attempt's response started at {@code now} with {@code status}: a 5xx counts as the endpoint's failure. */
    void responded(int status, long now) {
        if (status >= 500) {
            failed(now);
        } else {
            succeeded(now);
        }
    }

    void succeeded(long now) {
        target.onSuccess(now - startNanos);
    }

    void failed(long now) {
        target.onFailure(now - startNanos);
    }

    /** The attempt's outcome says nothing about the endpoint (the client went away, or may retry). */
    void cancelled() {
        target.onCancel();
    }

    long elapsed(long now) {
        return now - startNanos;
    }

    /** Ends the attempt's use of its upstream (see {@link UpstreamLease#release}); later events are dropped. */
    void release(boolean reusable) {
        detached = true;
        if (lease != null) {
            lease.release(reusable);
        }
    }

    /** Gives the attempt up, passing {@code error} on to an HTTP/2 upstream before the stream is released. */
    void abandon(Http2Error error) {
        if (lease != null && error != Http2Error.CANCEL) {
            lease.reset(error); // releasing the stream alone would say CANCEL
        }
        release(false);
    }

    /** Takes the attempt out of the call's hands without releasing its lease (a tunnel has it now). */
    void detach() {
        detached = true;
    }

    // ---- the lease ----

    @Override
    public void operationComplete(Future<UpstreamLease> f) {
        if (!f.isSuccess()) {
            if (!detached) {
                if (f.cause() instanceof NotHttp2Exception) {
                    call.onUpstreamFailed(this, ProxyError.UPSTREAM_NOT_HTTP2, f.cause().getMessage());
                } else if (f.cause() instanceof javax.net.ssl.SSLException) {
                    // Which identity was expected and which was presented is the operator's to read.
                    call.onUpstreamFailed(this, ProxyError.UPSTREAM_TLS_FAILED,
                            target.address() + ": " + rootMessage(f.cause()));
                } else {
                    call.onUpstreamFailed(this, ProxyError.CONNECT_FAILED,
                            target.address() + ": " + rootMessage(f.cause()));
                }
            }
            return;
        }
        UpstreamLease l = f.getNow();
        if (detached || call.isFinished()) {
            l.release(false);
            return;
        }
        if (context.lifecycle().isSelf(l.remoteAddress())) {
            l.closeConnection();
            failed(call.now());
            call.onLoop(this);
            return;
        }
        lease = l;
        call.onLeased(this, l);
    }

    // ---- what the upstream says ----

    @Override
    public void onResponseObject(HttpObject msg) {
        if (detached || call.isFinished()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                call.onUpstreamFailed(this, ProxyError.UPSTREAM_PROTOCOL_ERROR,
                        rootMessage(response.decoderResult().cause()));
                return;
            }
            HttpResponseStatus status = response.status();
            if (status.codeClass() == HttpStatusClass.INFORMATIONAL && status.code() != 101) {
                // The HTTP/1 decoder follows a 1xx head with an empty LastHttpContent: it belongs to the head.
                skipInformationalEnd = !(response instanceof FullHttpResponse) && !lease.isHttp2();
                call.onInformational(response);
                return;
            }
            if (status.code() == 101) {
                if (call.onSwitchingProtocols(this, response)) {
                    return; // the connection is a tunnel now
                }
                // A switch nobody asked for leaves the upstream's decoder in another protocol; the
                // failure releases the connection, never to be pooled.
                ReferenceCountUtil.release(msg);
                call.onUpstreamFailed(this, ProxyError.UPSTREAM_PROTOCOL_ERROR,
                        "101 Switching Protocols without an upgrade request");
                return;
            }
            headSeen = true;
            if (!lease.isHttp2()) {
                keepAlive = HttpUtil.isKeepAlive(response);
            }
            if (!call.onResponseHead(this, response)) {
                return; // given up for another attempt
            }
        }
        if (msg instanceof HttpContent content) {
            if (skipInformationalEnd) {
                skipInformationalEnd = false;
                content.release();
                return;
            }
            if (!(msg instanceof HttpResponse) && content.decoderResult().isFailure()) {
                content.release();
                call.onUpstreamFailed(this, ProxyError.UPSTREAM_PROTOCOL_ERROR,
                        rootMessage(content.decoderResult().cause()));
                return;
            }
            call.onResponseContent(content);
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!detached) {
            call.onUpstreamReadComplete();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (!detached) {
            call.onUpstreamWritabilityChanged(writable);
        }
    }

    @Override
    public void onUpstreamReset(Http2Error error) {
        if (!detached && !call.isFinished()) {
            call.onUpstreamReset(this, error);
        }
    }

    @Override
    public void onUpstreamRefused() {
        if (detached || call.isFinished()) {
            return;
        }
        if (!headSeen && resendable && call.mayResendRefused()) {
            // The upstream never processed it (RFC 9113 §8.7), and nothing but the head was sent, which
            // is still here: send it again on another stream. This is routine under load: a server
            // that ends connections after N requests (nginx: 1,000) refuses the streams in flight past
            // its GOAWAY, and a peer can refuse a stream while it finishes closing one this side
            // already counts as closed (Netty closes a stream when the write of its end completes).
            // A resend can land on a connection that is about to go away too, hence a few tries.
            lease.release(false);
            lease = null;
            start();
            return;
        }
        call.onUpstreamRefused(this);
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (!detached && !call.isFinished()) {
            call.onUpstreamFailed(this, ProxyError.UPSTREAM_FAILED,
                    cause == null ? null : rootMessage(cause));
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return m == null ? root.getClass().getSimpleName() : m;
    }
}
