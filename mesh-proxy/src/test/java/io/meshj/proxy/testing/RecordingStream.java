package io.meshj.proxy.testing;

import io.meshj.proxy.internal.h2.H2Stream;
import io.meshj.proxy.internal.h2.H2StreamListener;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An HTTP/2 stream's listener that keeps what arrived on it and what happened to it, for assertions. */
public final class RecordingStream implements H2StreamListener {

    public H2Stream stream;
    public final List<HttpObject> messages = new ArrayList<>();
    public final List<String> events = new ArrayList<>();

    public RecordingStream(H2Stream stream) {
        this.stream = stream;
    }

    /** The status of the response head received, or -1. */
    public int status() {
        return messages.stream().filter(HttpResponse.class::isInstance).map(m -> ((HttpResponse) m).status().code())
                .findFirst().orElse(-1);
    }

    public String body() {
        StringBuilder b = new StringBuilder();
        for (HttpObject m : messages) {
            if (m instanceof HttpContent c) {
                b.append(c.content().toString(StandardCharsets.UTF_8));
            }
        }
        return b.toString();
    }

    public long bodyBytes() {
        long n = 0;
        for (HttpObject m : messages) {
            if (m instanceof HttpContent c) {
                n += c.content().readableBytes();
            }
        }
        return n;
    }

    public void releaseAll() {
        messages.forEach(ReferenceCountUtil::release);
    }

    @Override
    public void onMessage(HttpObject msg) {
        messages.add(msg);
    }

    @Override
    public void onReadComplete() {
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        events.add("writable=" + writable);
    }

    @Override
    public void onReset(Http2Error error) {
        events.add("reset=" + error);
    }

    @Override
    public void onRefused() {
        events.add("refused");
    }

    @Override
    public void onClosed(Throwable cause) {
        events.add("closed");
    }
}
