package io.meshj.examples.emojivoto;

/** One started emojivoto service. */
interface RunningService extends AutoCloseable {

    /** The line a supervisor waits for: {@code emojivoto voting ready (plain) on 127.0.0.1:8082}. */
    String readyLine();

    /** Stops the service and releases everything it holds (servers, channels, the mesh). Idempotent. */
    @Override
    void close();
}
