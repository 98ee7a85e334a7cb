package io.meshj.core.tap;

/** Which side of the workload a request was observed on. */
public enum TapDirection {
    /** A request the workload received. */
    INBOUND,
    /** A request the workload sent. */
    OUTBOUND;

    /** The short form tap lines print: {@code in} or {@code out}. */
    public String shortName() {
        return this == INBOUND ? "in" : "out";
    }
}
