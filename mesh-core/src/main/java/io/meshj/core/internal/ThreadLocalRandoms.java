package io.meshj.core.internal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/** The default random source of meshj's algorithms. */
public final class ThreadLocalRandoms {

    /**
     * A generator that asks the calling thread's {@link ThreadLocalRandom} on every call. Capturing
     * {@code ThreadLocalRandom.current()} once would be wrong: the instance reads the seed of whichever
     * thread calls it, and threads that never called {@code current()} themselves start from the same
     * unseeded state, so every event loop would sample the same sequence.
     */
    public static final RandomGenerator PER_THREAD = () -> ThreadLocalRandom.current().nextLong();

    private ThreadLocalRandoms() {
    }
}
