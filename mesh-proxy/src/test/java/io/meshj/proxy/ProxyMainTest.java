package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProxyMainTest {

    private final Logger root = Logger.getLogger("");
    private final Level rootBefore = root.getLevel();
    private final Level meshjBefore = Logger.getLogger("io.meshj").getLevel();

    @AfterEach
    void restore() {
        root.setLevel(rootBefore);
        Logger.getLogger("io.meshj").setLevel(meshjBefore);
        for (var h : root.getHandlers()) {
            h.setLevel(rootBefore);
        }
    }

    @Test
    void debugOpensMeshjsLoggersButNotTheLibraries() {
        ProxyMain.setLogLevel(Level.FINE);
        assertThat(Logger.getLogger("io.meshj.proxy.internal.ListenerInitializer").isLoggable(Level.FINE)).isTrue();
        assertThat(Logger.getLogger("io.netty.handler.codec.http2.Http2FrameLogger").isLoggable(Level.FINE)).isFalse();
        assertThat(Logger.getLogger("io.grpc.netty.NettyClientHandler").isLoggable(Level.INFO)).isTrue();
    }

    @Test
    void traceOpensEverything() {
        ProxyMain.setLogLevel(Level.FINEST);
        assertThat(Logger.getLogger("io.meshj.proxy.MeshProxy").isLoggable(Level.FINEST)).isTrue();
        assertThat(Logger.getLogger("io.netty.handler.codec.http2.Http2FrameLogger").isLoggable(Level.FINE)).isTrue();
    }

    @Test
    void warnQuietsEverything() {
        ProxyMain.setLogLevel(Level.WARNING);
        assertThat(Logger.getLogger("io.meshj.proxy.MeshProxy").isLoggable(Level.INFO)).isFalse();
        assertThat(Logger.getLogger("io.grpc.netty.NettyClientHandler").isLoggable(Level.INFO)).isFalse();
    }
}
