package io.meshj.core.endpoint;

/** What discovery knows about how to talk to an endpoint. */
public enum ProtocolHint {
    /** Nothing is known: speak whatever protocol the client spoke, as detected. */
    UNKNOWN,
    /**
     * The endpoint is meshed: a meshj proxy (or embedded app) that accepts HTTP/2 from other proxies,
     * so HTTP/1 requests may cross as streams of one multiplexed HTTP/2 connection.
     */
    H2,
    /** The endpoint is meshed and its port is opaque: forward bytes, never detect a protocol. */
    OPAQUE;

    /** True when a meshj proxy (or embedded app) terminates connections to this endpoint. */
    public boolean isMeshed() {
        return this != UNKNOWN;
    }
}
