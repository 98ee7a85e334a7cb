package io.meshj.proxy.internal;

/**
 * Fired down the pipeline of every accepted connection when the proxy begins to shut down. Whoever
 * speaks the connection's protocol ends it as that protocol allows: an HTTP/2 connection with GOAWAY
 * (its streams finish), an idle HTTP/1 connection at once (a busy one closes after its response);
 * opaque TCP ignores it and is closed when the grace period ends.
 */
public final class DrainEvent {

    public static final DrainEvent INSTANCE = new DrainEvent();

    private DrainEvent() {
    }

    @Override
    public String toString() {
        return "DrainEvent";
    }
}
