package io.meshj.proxy.internal.upstream;

import java.io.IOException;

/**
 * An upstream answered the HTTP/2 connection preface with an HTTP/1 response: it speaks only HTTP/1,
 * and the HTTP/2 client whose request was going there is told so, rather than that the connection
 * closed early.
 */
public final class NotHttp2Exception extends IOException {

    private static final long serialVersionUID = 1L;

    NotHttp2Exception(String address, String firstLine) {
        super(address + " answered the HTTP/2 preface with \"" + firstLine + "\": it speaks only HTTP/1");
    }
}
