package io.meshj.proxy.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what Netty and meshj log as failures while a fuzz input runs: an exception thrown in a
 * future's listener ({@code DefaultPromise} logs it and goes on), or a buffer the leak detector found.
 * Such failures never reach the caller, so a fuzz target would pass over them unless it looks here.
 * Netty logs through java.util.logging here (no SLF4J on the proxy's class path).
 */
public final class LoggedFailures extends Handler implements AutoCloseable {

    private final List<String> failures = new ArrayList<>();
    private final Logger root = Logger.getLogger("");

    private LoggedFailures() {
        setLevel(Level.WARNING);
    }

    /** Starts collecting from the root logger. */
    public static LoggedFailures collect() {
        LoggedFailures f = new LoggedFailures();
        f.root.addHandler(f);
        return f;
    }

    @Override
    public synchronized void publish(LogRecord r) {
        String name = r.getLoggerName() == null ? "" : r.getLoggerName();
        boolean ours = name.startsWith("io.netty") || name.startsWith("io.meshj");
        String msg = r.getMessage() == null ? "" : r.getMessage();
        if (ours && (r.getThrown() != null || msg.contains("LEAK:"))) {
            StringBuilder b = new StringBuilder(name).append(": ").append(msg);
            if (r.getThrown() != null) {
                b.append('\n').append(stackTrace(r.getThrown()));
            }
            failures.add(b.toString());
        }
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    /** Fails with what was logged since the last call, and forgets it. */
    public synchronized void assertNone() {
        if (!failures.isEmpty()) {
            String all = String.join("\n", failures);
            failures.clear();
            throw new AssertionError("logged during the input:\n" + all);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
    }
}
