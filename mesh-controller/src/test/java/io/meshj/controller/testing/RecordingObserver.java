package io.meshj.controller.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A gRPC response observer that queues what arrives, for tests to take with a deadline. */
public final class RecordingObserver<T> implements StreamObserver<T> {

    private final BlockingQueue<T> messages = new LinkedBlockingQueue<>();
    private volatile Throwable error;

    /** The next message, waiting up to {@code within}; fails the test if none comes. */
    public T next(Duration within) throws InterruptedException {
        T m = messages.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("a message within %s (error: %s)", within, error).isNotNull();
        return m;
    }

    /** The error the call ended with, or null. */
    public Throwable error() {
        return error;
    }

    @Override
    public void onNext(T value) {
        messages.add(value);
    }

    @Override
    public void onError(Throwable t) {
        error = t;
    }

    @Override
    public void onCompleted() {
    }
}
