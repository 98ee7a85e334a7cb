package io.meshj.proxy.internal;

/** Which listener a connection arrived on; it becomes the {@code direction} metric label. */
public enum Direction {
    INBOUND("inbound"),
    OUTBOUND("outbound");

    private final String label;

    Direction(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
