package io.meshj.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the values of one label bounded: the first {@code limit} distinct values pass as they are, every
 * later one becomes {@link #OVERFLOW}. A client that sends a new Host on every request (a scanner, a bug)
 * would otherwise grow the registry, and every scrape, without end.
 */
final class BoundedValues {

    static final String OVERFLOW = "overflow";

    private final int limit;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedValues(int limit) {
        this.limit = limit;
    }

    String bound(String value) {
        if (value == null || seen.contains(value)) {
            return value;
        }
        if (seen.size() >= limit) {
            return OVERFLOW;
        }
        seen.add(value); // racing adds may pass the limit by a few; it bounds, it need not be exact
        return value;
    }
}
