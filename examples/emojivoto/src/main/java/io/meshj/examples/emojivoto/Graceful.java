package io.meshj.examples.emojivoto;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** Shutting down that lets work in flight finish for a few seconds, then cancels what is left. */
final class Graceful {

    private static final long GRACE_SECONDS = 5;

    private Graceful() {}

    static void stop(Server server) {
        server.shutdown();
        try {
            if (!server.awaitTermination(GRACE_SECONDS, TimeUnit.SECONDS)) {
                server.shutdownNow().awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    static void stop(ManagedChannel channel) {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(GRACE_SECONDS, TimeUnit.SECONDS)) {
                channel.shutdownNow().awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    static void stop(ExecutorService executor) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(GRACE_SECONDS, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
