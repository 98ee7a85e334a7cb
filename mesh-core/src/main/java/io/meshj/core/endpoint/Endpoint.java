package io.meshj.core.endpoint;

import static java.util.Objects.requireNonNull;

import io.meshj.core.name.Authority;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One instance behind a service: its address, its weight relative to its siblings, the metric labels
 * that describe it ({@code namespace}, {@code pod}, {@code serviceaccount}, ...), the TLS identity it
 * must present, and a protocol hint. Immutable.
 */
public final class Endpoint {

    /** The weight of an endpoint whose source says nothing about weights (Linkerd's default too). */
    public static final int DEFAULT_WEIGHT = 10_000;

    private final Authority address;
    private final int weight;
    private final Map<String, String> labels;
    private final String tlsIdentity;
    private final ProtocolHint protocolHint;
    private final int inboundPort;

    private Endpoint(Builder b) {
        this.address = b.address;
        this.weight = b.weight;
        this.labels = Map.copyOf(b.labels);
        this.tlsIdentity = b.tlsIdentity;
        this.protocolHint = b.protocolHint;
        this.inboundPort = b.inboundPort;
    }

    /** An endpoint with the default weight, no labels, no identity and no protocol hint. */
    public static Endpoint of(Authority address) {
        return builder(address).build();
    }

    /** An endpoint parsed from {@code host:port}, otherwise as {@link #of(Authority)}. */
    public static Endpoint of(String address) {
        return of(Authority.parse(address));
    }

    public static Builder builder(Authority address) {
        return new Builder(address);
    }

    /** The address to connect to; always has a port. */
    public Authority address() {
        return address;
    }

    /** A positive weight; an endpoint of weight 2w gets twice the traffic of one of weight w. */
    public int weight() {
        return weight;
    }

    /** Metric labels (without the {@code dst_} prefix the proxy adds). */
    public Map<String, String> labels() {
        return labels;
    }

    /** The identity the endpoint must present in mTLS, if it is meshed with identity. */
    public Optional<String> tlsIdentity() {
        return Optional.ofNullable(tlsIdentity);
    }

    public ProtocolHint protocolHint() {
        return protocolHint;
    }

    /**
     * For a meshed endpoint, the port of the meshj proxy in front of it on the same host, or 0. A proxy
     * sending to this endpoint connects to that port and names the endpoint in the request (Linkerd's
     * "opaque transport" inbound port plays the same part), so one inbound proxy can front several
     * application ports without iptables.
     */
    public int inboundPort() {
        return inboundPort;
    }

    /** A builder that starts from this endpoint's values. */
    public Builder toBuilder() {
        Builder b = new Builder(address).weight(weight).tlsIdentity(tlsIdentity).protocolHint(protocolHint)
                .inboundPort(inboundPort);
        b.labels.putAll(labels);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Endpoint)) {
            return false;
        }
        Endpoint that = (Endpoint) o;
        return weight == that.weight && address.equals(that.address) && labels.equals(that.labels)
                && Objects.equals(tlsIdentity, that.tlsIdentity) && protocolHint == that.protocolHint
                && inboundPort == that.inboundPort;
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, weight, labels, tlsIdentity, protocolHint, inboundPort);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Endpoint{").append(address).append(", weight=").append(weight);
        if (!labels.isEmpty()) {
            b.append(", labels=").append(new TreeMap<>(labels));
        }
        if (tlsIdentity != null) {
            b.append(", identity=").append(tlsIdentity);
        }
        if (protocolHint != ProtocolHint.UNKNOWN) {
            b.append(", hint=").append(protocolHint);
        }
        if (inboundPort != 0) {
            b.append(", inboundPort=").append(inboundPort);
        }
        return b.append('}').toString();
    }

    /** Builds an {@link Endpoint}. */
    public static final class Builder {
        private final Authority address;
        private int weight = DEFAULT_WEIGHT;
        private final Map<String, String> labels = new TreeMap<>();
        private String tlsIdentity;
        private ProtocolHint protocolHint = ProtocolHint.UNKNOWN;
        private int inboundPort;

        private Builder(Authority address) {
            requireNonNull(address, "address");
            if (!address.hasPort()) {
                throw new IllegalArgumentException("endpoint address " + address + " has no port");
            }
            this.address = address;
        }

        /** A positive weight; default {@link #DEFAULT_WEIGHT}. */
        public Builder weight(int weight) {
            if (weight < 1) {
                throw new IllegalArgumentException("weight " + weight + " must be positive");
            }
            this.weight = weight;
            return this;
        }

        public Builder label(String name, String value) {
            labels.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
            return this;
        }

        public Builder labels(Map<String, String> labels) {
            requireNonNull(labels, "labels").forEach(this::label);
            return this;
        }

        /** The mTLS identity to expect, or {@code null} for none. */
        public Builder tlsIdentity(String tlsIdentity) {
            this.tlsIdentity = tlsIdentity;
            return this;
        }

        public Builder protocolHint(ProtocolHint protocolHint) {
            this.protocolHint = requireNonNull(protocolHint, "protocolHint");
            return this;
        }

        /** The port of the meshj proxy in front of this endpoint, or 0 for none. */
        public Builder inboundPort(int inboundPort) {
            if (inboundPort < 0 || inboundPort > 65535) {
                throw new IllegalArgumentException("inboundPort " + inboundPort + " is out of range 0-65535");
            }
            this.inboundPort = inboundPort;
            return this;
        }

        public Endpoint build() {
            return new Endpoint(this);
        }
    }
}
