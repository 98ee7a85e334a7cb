package io.meshj.proxy.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.function.BooleanSupplier;

/**
 * Says when the proxy must refuse new work to keep its heap: when the old generation, measured right
 * after a collection (its live set, not garbage waiting to be collected), is above {@link #HIGH} of its
 * maximum; it lets work in again once that falls below {@link #LOW} (hysteresis, so that the proxy does
 * not flap at the threshold). Envoy's overload manager works the same way on heap size, with actions
 * that stop accepting connections and refuse requests.
 *
 * <p>{@link #check} is called periodically (the proxy schedules it); {@link #getAsBoolean} is a volatile
 * read, cheap enough for every accepted connection and request.
 */
public final class HeapGuard implements BooleanSupplier {

    public static final double HIGH = 0.85;
    public static final double LOW = 0.70;

    /** The live set of the old generation after the last collection, and its maximum, in bytes. */
    public interface Sampler {
        /** {@code {used, max}}, or null when unknown. */
        long[] sample();
    }

    private final Sampler sampler;
    private volatile boolean overloaded;

    public HeapGuard(Sampler sampler) {
        this.sampler = sampler;
    }

    /** The guard of this JVM's old generation (the heap pool with the largest maximum that reports usage after GC). */
    public static HeapGuard forThisJvm() {
        MemoryPoolMXBean old = null;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isCollectionUsageThresholdSupported()
                    && pool.getUsage().getMax() > 0
                    && (old == null || pool.getUsage().getMax() > old.getUsage().getMax())) {
                old = pool;
            }
        }
        MemoryPoolMXBean pool = old;
        return new HeapGuard(() -> {
            if (pool == null) {
                return null;
            }
            MemoryUsage after = pool.getCollectionUsage();
            return after == null ? null : new long[] {after.getUsed(), pool.getUsage().getMax()};
        });
    }

    /** Samples the heap and updates the state; returns it. */
    public boolean check() {
        long[] s = sampler.sample();
        if (s == null || s[1] <= 0) {
            return overloaded;
        }
        double fraction = (double) s[0] / s[1];
        if (!overloaded && fraction > HIGH) {
            overloaded = true;
        } else if (overloaded && fraction < LOW) {
            overloaded = false;
        }
        return overloaded;
    }

    /** True while new connections and requests must be refused. */
    @Override
    public boolean getAsBoolean() {
        return overloaded;
    }
}
