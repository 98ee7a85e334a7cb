package io.meshj.controller.destination;

import io.grpc.stub.ServerCallStreamObserver;
import io.meshj.core.discovery.Watch;

/**
 * A server-streaming call fed by a backend watch: gRPC's ready signal drains what the client is owed,
 * and the client going away closes the watch, once, even if that happens while the watch is still
 * being set up. Subclasses keep what they owe and send it in {@link #drain}, under this object's lock,
 * so {@code onNext} is never called concurrently or after the cancellation.
 */
abstract class WatchingCall<T> {

    protected final ServerCallStreamObserver<T> call;
    /** Guarded by this. */
    protected boolean cancelled;
    private Watch watch;

    /** Call from the service method, before the watch starts: handlers must be set before it returns. */
    WatchingCall(ServerCallStreamObserver<T> call) {
        this.call = call;
        call.setOnReadyHandler(this::drain);
        call.setOnCancelHandler(this::cancel);
    }

    /** Sends what the client has not had yet, as far as the call takes messages (any thread). */
    abstract void drain();

    /** The backend watch feeding this call; closed at once if the client has already gone. */
    final void watching(Watch w) {
        synchronized (this) {
            if (!cancelled) {
                watch = w;
                return;
            }
        }
        w.close();
    }

    private void cancel() {
        Watch w;
        synchronized (this) {
            cancelled = true;
            w = watch;
            watch = null;
        }
        if (w != null) {
            w.close();
        }
    }
}
