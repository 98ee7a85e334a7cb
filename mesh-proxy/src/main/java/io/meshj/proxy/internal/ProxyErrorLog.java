package io.meshj.proxy.internal;

import io.meshj.core.time.Ticker;
import java.util.concurrent.TimeUnit;

/**
 * The operator's side of the proxy's own answers: what a client is told briefly (the reason, see
 * {@link ProxyError#detailForClient}) is logged here in full — the backend address, the library's
 * message — at most one line per reason and direction per interval, with a count of those not logged.
 * A failing backend or a client sending garbage then costs a line every few seconds, not one per
 * request.
 *
 * <p>Failures of the mesh or of upstreams (5xx) are warnings; malformed requests (4xx) are the
 * client's business and logged at debug level.
 */
public final class ProxyErrorLog {

    private static final System.Logger LOG = System.getLogger(ProxyErrorLog.class.getName());
    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Direction direction;
    private final Ticker ticker;
    private final long[] nextLogAt = new long[ProxyError.values().length];
    private final int[] notLogged = new int[ProxyError.values().length];
    private final boolean[] loggedOnce = new boolean[ProxyError.values().length];

    public ProxyErrorLog(Direction direction, Ticker ticker) {
        this.direction = direction;
        this.ticker = ticker;
    }

    /** Logs {@code error} for {@code authority} (null if none) with its {@code detail}, unless one was logged lately. */
    public void log(ProxyError error, String authority, String detail) {
        System.Logger.Level level = error.httpStatus() >= 500 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
        if (!LOG.isLoggable(level)) {
            return;
        }
        int i = error.ordinal();
        int skipped;
        synchronized (this) {
            long now = ticker.nanoTime();
            if (loggedOnce[i] && now - nextLogAt[i] < 0) {
                notLogged[i]++;
                return;
            }
            loggedOnce[i] = true;
            nextLogAt[i] = now + INTERVAL_NANOS;
            skipped = notLogged[i];
            notLogged[i] = 0;
        }
        LOG.log(level, "{0} {1}{2}: {3}{4}", direction.label(), error.reason(),
                authority == null ? "" : " (" + authority + ")", detail == null ? "-" : detail,
                skipped == 0 ? "" : " [" + skipped + " more of this reason in the last "
                        + TimeUnit.NANOSECONDS.toSeconds(INTERVAL_NANOS) + " s not logged]");
    }
}
