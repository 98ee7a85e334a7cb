package io.meshj.proxy.internal.detect;

/** What a connection turned out to speak. */
public enum Protocol {
    /** An HTTP/1.x request line. */
    HTTP1,
    /** The HTTP/2 connection preface (prior knowledge, as between meshj proxies and gRPC over h2c). */
    HTTP2,
    /** Anything else, or nothing within the detection timeout: forwarded byte for byte. */
    OPAQUE
}
