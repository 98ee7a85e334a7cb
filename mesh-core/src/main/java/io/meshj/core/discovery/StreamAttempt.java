package io.meshj.core.discovery;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.function.BiConsumer;

/**
 * One server-streaming call of a controller watch (an endpoint or a profile stream): passes its
 * messages and its end to the watch, tagged with itself so the watch can ignore an attempt it has
 * replaced, and can be cancelled when the watch closes. A completed stream counts as ended with
 * UNAVAILABLE: the controller never ends a watch on purpose, so the watch reconnects.
 */
final class StreamAttempt<Q, M> implements ClientResponseObserver<Q, M> {

    private final BiConsumer<StreamAttempt<Q, M>, M> onMessage;
    private final BiConsumer<StreamAttempt<Q, M>, Status> onEnded;
    private ClientCallStreamObserver<Q> call;
    private boolean cancelled;

    StreamAttempt(BiConsumer<StreamAttempt<Q, M>, M> onMessage, BiConsumer<StreamAttempt<Q, M>, Status> onEnded) {
        this.onMessage = onMessage;
        this.onEnded = onEnded;
    }

    @Override
    public synchronized void beforeStart(ClientCallStreamObserver<Q> requestStream) {
        this.call = requestStream;
    }

    /** Ends the call (once); its end is then reported as CANCELLED, which a closed watch ignores. */
    synchronized void cancel() {
        if (!cancelled && call != null) {
            cancelled = true;
            call.cancel("watch closed", null);
        }
    }

    @Override
    public void onNext(M message) {
        onMessage.accept(this, message);
    }

    @Override
    public void onError(Throwable t) {
        onEnded.accept(this, Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        onEnded.accept(this, Status.UNAVAILABLE.withDescription("the controller ended the stream"));
    }
}
