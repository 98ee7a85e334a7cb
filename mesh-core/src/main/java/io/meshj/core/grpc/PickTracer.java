package io.meshj.core.grpc;

import io.grpc.Attributes;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.meshj.core.balance.Pick;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reports one call's outcome to the balancer pick that sent it — the time to the response's headers
 * (what peak-EWMA estimates, as the sidecar measures it), success or failure at the end — and hands
 * every event on to the {@link EndpointObserver}'s tracer, if there is one.
 */
final class PickTracer extends ClientStreamTracer {

    /** Tells a proxy fronting the endpoint which endpoint is meant (the sidecar sends the same). */
    static final Metadata.Key<String> DST_ADDR = Metadata.Key.of("meshj-dst-addr", Metadata.ASCII_STRING_MARSHALLER);

    private final Pick pick;
    private final ClientStreamTracer next;
    private final long startNanos = System.nanoTime();
    private volatile long headersNanos = -1;

    private PickTracer(Pick pick, ClientStreamTracer next) {
        this.pick = pick;
        this.next = next;
    }

    static final class Factory extends ClientStreamTracer.Factory {
        private final Pick pick;
        private final String fullMethodName;
        private final EndpointObserver observer;
        private final AtomicBoolean used = new AtomicBoolean();

        Factory(Pick pick, String fullMethodName, EndpointObserver observer) {
            this.pick = pick;
            this.fullMethodName = fullMethodName;
            this.observer = observer;
        }

        @Override
        public ClientStreamTracer newClientStreamTracer(StreamInfo info, Metadata headers) {
            if (pick.endpoint().inboundPort() > 0) {
                headers.discardAll(DST_ADDR);
                headers.put(DST_ADDR, pick.endpoint().address().toString());
            }
            ClientStreamTracer next = observer == null ? null : observer.newTracer(pick.endpoint(), fullMethodName, info, headers);
            // One pick is one attempt; a second stream from the same pick is not counted on it again.
            return used.compareAndSet(false, true) ? new PickTracer(pick, next)
                    : next != null ? next : new ClientStreamTracer() { };
        }
    }

    @Override
    public void streamCreated(Attributes transportAttrs, Metadata headers) {
        if (next != null) {
            next.streamCreated(transportAttrs, headers);
        }
    }

    @Override
    public void outboundHeaders() {
        if (next != null) {
            next.outboundHeaders();
        }
    }

    @Override
    public void inboundHeaders() {
        headersArrived();
        if (next != null) {
            next.inboundHeaders();
        }
    }

    /** gRPC-Java 1.85 calls only this one (its default calls the other, which this class overrides too). */
    @Override
    public void inboundHeaders(Metadata headers) {
        headersArrived();
        if (next != null) {
            next.inboundHeaders(headers);
        }
    }

    private void headersArrived() {
        if (headersNanos < 0) {
            headersNanos = System.nanoTime() - startNanos;
        }
    }

    /** The time to the response's headers, or -1 before they came (for tests). */
    long headersNanos() {
        return headersNanos;
    }

    @Override
    public void inboundTrailers(Metadata trailers) {
        if (next != null) {
            next.inboundTrailers(trailers);
        }
    }

    @Override
    public void outboundMessage(int seqNo) {
        if (next != null) {
            next.outboundMessage(seqNo);
        }
    }

    @Override
    public void inboundMessage(int seqNo) {
        if (next != null) {
            next.inboundMessage(seqNo);
        }
    }

    @Override
    public void outboundWireSize(long bytes) {
        if (next != null) {
            next.outboundWireSize(bytes);
        }
    }

    @Override
    public void inboundWireSize(long bytes) {
        if (next != null) {
            next.inboundWireSize(bytes);
        }
    }

    @Override
    public void outboundUncompressedSize(long bytes) {
        if (next != null) {
            next.outboundUncompressedSize(bytes);
        }
    }

    @Override
    public void inboundUncompressedSize(long bytes) {
        if (next != null) {
            next.inboundUncompressedSize(bytes);
        }
    }

    @Override
    public void streamClosed(Status status) {
        long rtt = headersNanos >= 0 ? headersNanos : System.nanoTime() - startNanos;
        if (status.isOk()) {
            pick.onSuccess(rtt);
        } else if (status.getCode() == Status.Code.CANCELLED) {
            pick.onCancel();
        } else {
            pick.onFailure(rtt);
        }
        if (next != null) {
            next.streamClosed(status);
        }
    }
}
