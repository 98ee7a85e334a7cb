package io.meshj.core.tap;

import static java.util.Objects.requireNonNull;

/**
 * What the three events of one tapped request share: its id (unique within one bus, as
 * {@code <base>:<sequence>}), the side it was seen on, its two ends, and whether it crossed the mesh in
 * mTLS. Made once per tapped request by {@link TapBus#request}.
 */
public record TapRequest(String id, TapDirection direction, TapPeer source, TapPeer destination, boolean tls) {

    public TapRequest {
        requireNonNull(id, "id");
        requireNonNull(direction, "direction");
        requireNonNull(source, "source");
        requireNonNull(destination, "destination");
    }
}
