package io.meshj.proxy.internal.call;

import io.meshj.core.name.Authority;
import io.meshj.core.tap.TapBus;
import io.meshj.core.tap.TapDirection;
import io.meshj.core.tap.TapEvent;
import io.meshj.core.tap.TapPeer;
import io.meshj.core.tap.TapRequest;
import io.meshj.proxy.internal.route.Target;
import io.meshj.tls.WorkloadIdentity;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the tap events of a proxied request. Only called while someone taps ({@link TapBus#hasSubscribers}),
 * so nothing here is on the path of untapped traffic.
 */
final class ProxyTap {

    private static final String EXTENSION_PREFIX = "x-http2-";

    private ProxyTap() {
    }

    /**
     * The head of {@code request} as {@code direction}'s listener saw it: from the client's address to
     * the target (inbound: the application; outbound: the endpoint, not the proxy that may front it).
     */
    static TapEvent.RequestInit requestInit(TapBus bus, ProxyContext context, SocketAddress client, HttpRequest request,
            String authority, Target target, WorkloadIdentity peer) {
        TapRequest r;
        if (context.isInbound()) {
            TapPeer source = new TapPeer(inet(client), peer == null ? Map.of()
                    : Map.of("namespace", peer.namespace(), "serviceaccount", peer.serviceAccount()));
            TapPeer destination = new TapPeer(target == null ? null : unresolved(target.address()), context.localLabels());
            r = bus.request(TapDirection.INBOUND, source, destination, peer != null);
        } else {
            TapPeer source = new TapPeer(inet(client), context.localLabels());
            TapPeer destination = target == null ? TapPeer.UNKNOWN : new TapPeer(unresolved(target.endpoint()),
                    target.pick() == null ? Map.of() : target.pick().endpoint().labels());
            boolean tls = target != null && target.identity() != null && context.localTls();
            r = bus.request(TapDirection.OUTBOUND, source, destination, tls);
        }
        HttpHeaders h = request.headers();
        String scheme = h.get(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
        return new TapEvent.RequestInit(r, request.method().name(), scheme == null ? "http" : scheme,
                authority, request.uri(), headers(h));
    }

    /** The headers as name/value pairs, without Netty's HTTP/2 conversion extensions. */
    static List<Map.Entry<String, String>> headers(HttpHeaders h) {
        List<Map.Entry<String, String>> out = new ArrayList<>(h.size());
        for (Map.Entry<String, String> e : h) {
            if (!e.getKey().regionMatches(true, 0, EXTENSION_PREFIX, 0, EXTENSION_PREFIX.length())) {
                out.add(Map.entry(e.getKey(), e.getValue()));
            }
        }
        return out;
    }

    private static InetSocketAddress inet(SocketAddress a) {
        return a instanceof InetSocketAddress i ? i : null;
    }

    /** An address from an authority without resolving it (it is an IP literal, or a name we do not look up here). */
    private static InetSocketAddress unresolved(Authority a) {
        return InetSocketAddress.createUnresolved(a.host(), a.port());
    }
}
