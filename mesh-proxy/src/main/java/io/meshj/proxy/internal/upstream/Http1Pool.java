package io.meshj.proxy.internal.upstream;

import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Idle keep-alive connections to one address, used from one event loop. When its last connection (open
 * or being opened) is gone, it takes itself out of its owner's map, so addresses that come and go
 * (pods) do not accumulate pools.
 */
final class Http1Pool {

    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private final Consumer<Http1Pool> onEmpty;
    private int connections;

    Http1Pool(Consumer<Http1Pool> onEmpty) {
        this.onEmpty = onEmpty;
    }

    /** A connection is being made for this pool. */
    void opening() {
        connections++;
    }

    /** A connection of this pool closed (or could not be made). */
    void closed() {
        if (--connections == 0) {
            onEmpty.accept(this);
        }
    }

    Channel poll() {
        Channel ch;
        while ((ch = idle.pollLast()) != null) {
            if (ch.isActive()) {
                return ch;
            }
        }
        return null;
    }

    void offer(Channel ch) {
        idle.addLast(ch);
    }

    /** Forgets {@code ch} when it closes; registered once per connection, when it is made. */
    void track(Channel ch) {
        ch.closeFuture().addListener(f -> {
            idle.remove(ch);
            closed();
        });
    }
}
