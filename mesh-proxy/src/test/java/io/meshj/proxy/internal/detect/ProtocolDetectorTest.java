package io.meshj.proxy.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProtocolDetectorTest {

    private static Protocol detect(String s) {
        ByteBuf buf = Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
        try {
            int before = buf.readerIndex();
            Protocol p = ProtocolDetector.detect(buf);
            assertThat(buf.readerIndex()).as("detection must not consume").isEqualTo(before);
            return p;
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NEED_MORE", value = {
        "PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n        | HTTP2",
        "PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\nxyz     | HTTP2",
        "PRI * HTTP/2                                | NEED_MORE",
        "PRI * HTTP/1.1\\r\\n                         | HTTP1",
        "GET / HTTP/1.1\\r\\n                         | HTTP1",
        "GET                                         | NEED_MORE",
        "GE                                          | NEED_MORE",
        "POST /x                                     | HTTP1",
        "DELETE                                      | NEED_MORE",
        "PROPFIND /dav HTTP/1.1\\r\\n                 | HTTP1",
        "PROPFIND /dav HTTP/1.0\\n                    | HTTP1",
        "PROPFIND /dav                               | NEED_MORE",
        "PROPFIND /dav HTTP/2.0\\r\\n                 | OPAQUE",
        "PROPFIND /dav HTTP/1.1x                     | OPAQUE",
        "*3\\r\\n$3\\r\\nSET\\r\\n                    | OPAQUE",
        "hello\\n                                     | OPAQUE",
        "hello world\\n                               | OPAQUE",
        "\\u0016\\u0003\\u0001                        | OPAQUE",
        "get / HTTP/1.1\\r\\n                         | HTTP1",
    })
    void decides(String input, Protocol expected) {
        String s = input.strip().replace("\\r", "\r").replace("\\n", "\n").replace("\\u0016", "\u0016")
                .replace("\\u0003", "\u0003").replace("\\u0001", "\u0001");
        assertThat(detect(s)).isEqualTo(expected);
    }

    @Test
    void emptyNeedsMore() {
        assertThat(detect("")).isNull();
    }

    @Test
    void aHugeLineWithAKnownMethodIsHttpSoTheCodecCanAnswer414() {
        assertThat(detect("GET /" + "a".repeat(100_000))).isEqualTo(Protocol.HTTP1);
    }

    @Test
    void aRequestLineEndingExactlyAtThePeekLimitIsDecided() {
        // "FOO /aaa…a HTTP/1." ends exactly at MAX_PEEK bytes, with more bytes behind it.
        String prefix = "FOO /";
        String suffix = " HTTP/1.";
        String line = prefix + "a".repeat(ProtocolDetector.MAX_PEEK - prefix.length() - suffix.length()) + suffix;
        assertThat(line).hasSize(ProtocolDetector.MAX_PEEK);
        assertThat(detect(line + "1\r\n" + "x".repeat(100_000))).isEqualTo(Protocol.OPAQUE);
        assertThat(detect(line.substring(0, line.length() - 1) + ".1")).isEqualTo(Protocol.OPAQUE);
    }

    @Test
    void aHugeTokenWithoutALineEndIsOpaque() {
        assertThat(detect("X".repeat(ProtocolDetector.MAX_PEEK + 1))).isEqualTo(Protocol.OPAQUE);
        assertThat(detect("FOO /" + "a".repeat(ProtocolDetector.MAX_PEEK))).isEqualTo(Protocol.OPAQUE);
    }
}
