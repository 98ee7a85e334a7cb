package io.meshj.proxy.internal.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two EmbeddedChannels spliced: bytes cross, and a pair that carries nothing for its idle timeout closes. */
class TcpRelayTest {

    private final EmbeddedChannel client = new EmbeddedChannel();
    private final EmbeddedChannel app = new EmbeddedChannel();

    @AfterEach
    void tearDown() {
        client.finishAndReleaseAll();
        app.finishAndReleaseAll();
    }

    /** Moves the pair's clock (the checks run on the client's loop) by {@code seconds}, a second at a time. */
    private void advance(int seconds) {
        for (int i = 0; i < seconds; i++) {
            client.advanceTimeBy(1, TimeUnit.SECONDS);
            client.runScheduledPendingTasks();
        }
    }

    private void clientSends(String s) {
        client.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
        ByteBuf relayed = app.readOutbound();
        assertThat(relayed.toString(StandardCharsets.US_ASCII)).isEqualTo(s);
        relayed.release();
    }

    @Test
    void aPairSilentInBothDirectionsForTheTimeoutIsClosed() {
        TcpRelay.splice(client, app, Duration.ofSeconds(10));
        advance(6);
        clientSends("ping");

        advance(9); // 15 s: 9 s after the last byte
        assertThat(client.isOpen()).isTrue();
        advance(5); // 20 s: 14 s after it
        assertThat(client.isOpen()).isFalse();
        assertThat(app.isOpen()).as("the application's connection goes too").isFalse();
    }

    @Test
    void trafficEitherWayKeepsThePairOpen() {
        TcpRelay.splice(client, app, Duration.ofSeconds(10));
        for (int i = 0; i < 15; i++) {
            advance(4);
            if (i % 2 == 0) {
                clientSends("x");
            } else {
                app.writeInbound(Unpooled.copiedBuffer("y", StandardCharsets.US_ASCII));
                ((ByteBuf) client.readOutbound()).release();
            }
        }
        assertThat(client.isOpen()).isTrue();
        assertThat(app.isOpen()).isTrue();
    }

    @Test
    void noIdleTimeoutMeansNoLimit() {
        TcpRelay.splice(client, app, Duration.ZERO);
        advance(3 * 3600);
        assertThat(client.isOpen()).isTrue();
    }
}
