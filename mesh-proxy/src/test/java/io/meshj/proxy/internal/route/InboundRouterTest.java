package io.meshj.proxy.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.ProxyError;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InboundRouterTest {

    private final EventLoop loop = new DefaultEventLoop();

    @AfterEach
    void stop() throws InterruptedException {
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    private Authority route(List<Integer> appPorts, String authority, String hint, String original) {
        Future<Target> f = new InboundRouter(appPorts).route(parse(authority), parse(hint), parse(original), loop);
        assertThat(f.isSuccess()).as(String.valueOf(f.cause())).isTrue();
        return f.getNow().address();
    }

    private static Authority parse(String s) {
        return s == null ? null : Authority.parse(s);
    }

    @Test
    void aRedirectedConnectionGoesToItsOriginalPortWhenThatIsAnApplicationPort() {
        assertThat(route(List.of(8080, 9090), null, null, "10.1.0.5:9090")).isEqualTo(Authority.parse("127.0.0.1:9090"));
        // The original port beats what a Host header claims.
        assertThat(route(List.of(8080, 9090), "web:8080", null, "10.1.0.5:9090")).isEqualTo(Authority.parse("127.0.0.1:9090"));
    }

    @Test
    void withoutApplicationPortsARedirectedConnectionGoesToItsOriginalPort() {
        assertThat(route(List.of(), null, null, "10.1.0.5:6379")).isEqualTo(Authority.parse("127.0.0.1:6379"));
        assertThat(route(List.of(), "web:8080", null, "10.1.0.5:3000")).isEqualTo(Authority.parse("127.0.0.1:3000"));
    }

    @Test
    void anOriginalPortThatIsNoApplicationPortChangesNothing() {
        assertThat(route(List.of(8080, 9090), null, null, "10.1.0.5:22")).isEqualTo(Authority.parse("127.0.0.1:8080"));
        assertThat(route(List.of(8080, 9090), "web:9090", null, "10.1.0.5:22")).isEqualTo(Authority.parse("127.0.0.1:9090"));
    }

    @Test
    void theEndpointAPeerProxyNamedComesFirst() {
        assertThat(route(List.of(8080, 9090), null, "10.1.0.5:9090", "10.1.0.5:8080")).isEqualTo(Authority.parse("127.0.0.1:9090"));
    }

    @Test
    void notRedirectedAndNoApplicationPortsIsNowhereToGo() {
        Future<Target> f = new InboundRouter(List.of()).route(Authority.parse("web:8080"), null, null, loop);
        assertThat(f.cause()).isInstanceOfSatisfying(RouteException.class,
                e -> assertThat(e.error()).isEqualTo(ProxyError.NO_APP_PORT));
    }

    @Test
    void notRedirectedRoutesAsBefore() {
        assertThat(route(List.of(8080, 9090), "web:9090", null, null)).isEqualTo(Authority.parse("127.0.0.1:9090"));
        assertThat(route(List.of(8080, 9090), "web:80", null, null)).isEqualTo(Authority.parse("127.0.0.1:8080"));
    }
}
