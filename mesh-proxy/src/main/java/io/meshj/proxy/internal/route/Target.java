package io.meshj.proxy.internal.route;

import io.meshj.core.balance.Pick;
import io.meshj.core.endpoint.Endpoint;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.Authority;

/**
 * Where one request or connection goes: the address to dial, the endpoint it is for (the same address,
 * unless a meshj proxy fronts the endpoint on another port), what discovery says about it (its protocol
 * hint; the mTLS identity it must present, or null for plaintext), and the
 * balancer pick to report the outcome on ({@code null} when no balancer chose it: a name dialed as
 * written, or the local application).
 */
public record Target(Authority address, Authority endpoint, ProtocolHint hint, String identity, Pick pick) {

    /** A target that no balancer chose. */
    public static Target direct(Authority address) {
        return new Target(address, address, ProtocolHint.UNKNOWN, null, null);
    }

    /** The target for a balancer's pick: its proxy's inbound port if it has one, else its address. */
    public static Target of(Pick pick) {
        Endpoint e = pick.endpoint();
        Authority dial = e.inboundPort() > 0 ? e.address().withPort(e.inboundPort()) : e.address();
        return new Target(dial, e.address(), e.protocolHint(), e.tlsIdentity().orElse(null), pick);
    }

    /** True when a meshj proxy in front of the endpoint is dialed, and must be told which endpoint is meant. */
    public boolean viaProxy() {
        return !address.equals(endpoint);
    }

    public void onSuccess(long rttNanos) {
        if (pick != null) {
            pick.onSuccess(rttNanos);
        }
    }

    public void onFailure(long rttNanos) {
        if (pick != null) {
            pick.onFailure(rttNanos);
        }
    }

    public void onCancel() {
        if (pick != null) {
            pick.onCancel();
        }
    }
}
