package io.meshj.core.tap;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One end of a tapped request: its address (null when unknown, e.g. a request answered before it was
 * routed) and what the mesh knows of it, as metric-style labels ({@code namespace}, {@code pod},
 * {@code deployment}, {@code service}, {@code serviceaccount}).
 */
public record TapPeer(InetSocketAddress address, Map<String, String> labels) {

    public static final TapPeer UNKNOWN = new TapPeer(null, Map.of());

    public TapPeer {
        labels = Map.copyOf(requireNonNull(labels, "labels"));
    }

    public static TapPeer of(InetSocketAddress address) {
        return new TapPeer(address, Map.of());
    }
}
