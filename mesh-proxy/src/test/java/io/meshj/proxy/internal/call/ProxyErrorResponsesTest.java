package io.meshj.proxy.internal.call;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.proxy.internal.ProxyError;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProxyErrorResponsesTest {

    @Test
    void httpErrorsCarryStatusReasonAndHeader() {
        FullHttpResponse r = ProxyErrorResponses.of(ProxyError.NO_ENDPOINTS, "web.ns", false, ByteBufAllocator.DEFAULT);
        try {
            assertThat(r.status().code()).isEqualTo(503);
            assertThat(r.headers().get("meshj-proxy-error")).isEqualTo("no endpoints: web.ns");
            assertThat(r.content().toString(StandardCharsets.UTF_8)).isEqualTo("no endpoints: web.ns\n");
            assertThat(r.headers().getInt("content-length")).isEqualTo(21);
            assertThat(r.headers().contains("connection")).isFalse();
        } finally {
            r.release();
        }
    }

    @Test
    void framingErrorsCloseTheConnection() {
        FullHttpResponse r = ProxyErrorResponses.of(ProxyError.HEADERS_TOO_LARGE, null, false, ByteBufAllocator.DEFAULT);
        try {
            assertThat(r.status().code()).isEqualTo(431);
            assertThat(r.headers().get("connection")).isEqualTo("close");
        } finally {
            r.release();
        }
    }

    @Test
    void grpcErrorsAreTrailersOnlyWithPercentEncodedMessages() {
        FullHttpResponse r = ProxyErrorResponses.of(ProxyError.TIMEOUT, "100% über", true, ByteBufAllocator.DEFAULT);
        try {
            assertThat(r.status().code()).isEqualTo(200);
            assertThat(r.content().readableBytes()).isZero();
            HttpHeaders h = r.headers();
            assertThat(h.get("content-type")).isEqualTo("application/grpc");
            assertThat(h.get("grpc-status")).isEqualTo("4");
            assertThat(h.get("grpc-message")).isEqualTo("response timeout: 100%25 %C3%BCber");
            assertThat(h.get("meshj-proxy-error")).isEqualTo("response timeout: 100% ?ber");
        } finally {
            r.release();
        }
    }

    @Test
    void hopByHopHeadersAreStripped() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "keep-alive, X-Private")
                .add("Keep-Alive", "timeout=5")
                .add("X-Private", "secret")
                .add("Upgrade", "h2c")
                .add("TE", "trailers, deflate")
                .add("x-http2-stream-id", "3")
                .add("Transfer-Encoding", "chunked")
                .add("X-Kept", "yes");
        HopByHop.strip(h, false);
        assertThat(h.names()).containsExactlyInAnyOrder("te", "Transfer-Encoding", "X-Kept");
        assertThat(h.get("TE")).isEqualTo("trailers");
    }

    @Test
    void anUpgradeKeepsItsHandshakeHeaders() {
        HttpHeaders h = new DefaultHttpHeaders().add("Connection", "Upgrade").add("Upgrade", "websocket");
        assertThat(HopByHop.isUpgrade(h)).isTrue();
        HopByHop.strip(h, true);
        assertThat(h.get("Upgrade")).isEqualTo("websocket");
        assertThat(h.get("Connection")).isEqualToIgnoringCase("upgrade");
    }
}
