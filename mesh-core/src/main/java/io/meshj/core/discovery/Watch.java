package io.meshj.core.discovery;

/** A running watch; closing it stops further callbacks (one already running may still finish). */
public interface Watch extends AutoCloseable {

    /** Stops the watch. Idempotent. */
    @Override
    void close();
}
