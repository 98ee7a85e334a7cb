package io.meshj.tls;

import static java.util.Objects.requireNonNull;

import io.meshj.core.retry.ExponentialBackoff;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a workload certified: makes a key and CSR in memory, has them certified, puts the result in a
 * {@link RotatingKeyManager}, and renews before the certificate ends — the job of Linkerd's identity
 * client in its proxy, done here for sidecars and embedded apps alike.
 *
 * <p>Renewal is due at 70 % of the lifetime the issuer granted, and at least 10 s before the end
 * ({@link #refreshDelay}); each renewal uses a fresh key. A failed attempt is retried after a jittered
 * exponential backoff, but never later than halfway to the current certificate's end (and every second
 * after it: a workload whose certificate lapsed keeps trying, and recovers once the issuer answers). The certificate in use
 * changes only when a new one arrives, so an unreachable issuer costs nothing until the end of the
 * current lifetime.
 *
 * <p>All timing goes through the injected {@link Scheduler} and {@link Clock}, so tests drive rotation
 * by hand.
 */
public final class WorkloadCertifier implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(WorkloadCertifier.class.getName());

    /** Renew at this fraction of the granted lifetime. */
    static final double REFRESH_AT = 0.7;
    /** ...but at least this long before the end. */
    static final Duration MIN_REFRESH_MARGIN = Duration.ofSeconds(10);
    /** The least time between a certificate's arrival and the next attempt. */
    static final Duration MIN_SUCCESS_DELAY = Duration.ofSeconds(1);
    /** The least time between failed attempts once the current certificate is about to end or has. */
    static final Duration MIN_RETRY_NEAR_END = Duration.ofSeconds(1);
    /** How long one Certify call may take before it counts as failed. */
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

    private final WorkloadIdentity identity;
    private final Certifier certifier;
    private final Scheduler scheduler;
    private final Clock clock;
    private final ExponentialBackoff backoff;
    private final RotatingKeyManager keyManager = new RotatingKeyManager();
    private final CompletableFuture<CertifiedKey> first = new CompletableFuture<>();
    private final AtomicLong refreshes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile Instant refreshedAt;
    private volatile boolean closed;
    private volatile Cancellable pending;
    private int failedAttempts;

    private WorkloadCertifier(Builder b) {
        this.identity = b.identity;
        this.certifier = b.certifier;
        this.scheduler = b.scheduler;
        this.clock = b.clock;
        this.backoff = b.backoff;
    }

    public static Builder builder(WorkloadIdentity identity, Certifier certifier) {
        return new Builder(identity, certifier);
    }

    /** Makes the first attempt now. */
    public WorkloadCertifier start() {
        schedule(Duration.ZERO);
        return this;
    }

    public WorkloadIdentity identity() {
        return identity;
    }

    /** The key manager TLS contexts present this workload's certificate through. */
    public RotatingKeyManager keyManager() {
        return keyManager;
    }

    /** Completes with the first certificate (and never fails: attempts go on until one succeeds). */
    public CompletableFuture<CertifiedKey> firstCertificate() {
        return first;
    }

    /** The certificate presented now, if any. */
    public Optional<CertifiedKey> current() {
        return Optional.ofNullable(keyManager.current());
    }

    /** When the current certificate was received. */
    public Optional<Instant> refreshedAt() {
        return Optional.ofNullable(refreshedAt);
    }

    /** Certificates received so far (the first included). */
    public long refreshCount() {
        return refreshes.get();
    }

    /** Attempts that failed so far. */
    public long failureCount() {
        return failures.get();
    }

    /**
     * How long after receiving a certificate valid until {@code validUntil}, at {@code now}, to renew it:
     * 70 % of the remaining lifetime, but at least {@link #MIN_REFRESH_MARGIN} before the end; never
     * negative.
     */
    public static Duration refreshDelay(Instant now, Instant validUntil) {
        Duration lifetime = Duration.between(now, validUntil);
        if (lifetime.isNegative()) {
            return Duration.ZERO;
        }
        Duration atFraction = Duration.ofNanos((long) (lifetime.toNanos() * REFRESH_AT));
        Duration beforeEnd = lifetime.minus(MIN_REFRESH_MARGIN);
        Duration d = atFraction.compareTo(beforeEnd) < 0 ? atFraction : beforeEnd;
        return d.isNegative() ? Duration.ZERO : d;
    }

    private synchronized void schedule(Duration delay) {
        if (!closed) {
            pending = scheduler.schedule(this::attempt, delay);
        }
    }

    private void attempt() {
        if (closed) {
            return;
        }
        // Whatever goes wrong — making the key, the call, the answer — is a failed attempt that is
        // counted, logged and retried: a renewal that stopped silently would end in expired
        // certificates while everything looked fine.
        try {
            KeyPair keys = WorkloadKeys.generate();
            byte[] csr = WorkloadKeys.csr(keys, identity);
            certifier.certify(identity, csr).orTimeout(ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((issued, error) -> {
                        if (error != null) {
                            failed(error);
                            return;
                        }
                        try {
                            accept(keys, issued);
                        } catch (RuntimeException e) {
                            failed(e);
                        }
                    });
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private synchronized void accept(KeyPair keys, CertificateAuthority.Issued issued) {
        if (!issued.leaf().getPublicKey().equals(keys.getPublic())) {
            throw new IllegalArgumentException("the issuer returned a certificate for another key");
        }
        java.util.List<java.security.cert.X509Certificate> chain = new java.util.ArrayList<>();
        chain.add(issued.leaf());
        chain.addAll(issued.intermediates());
        // The end is the earliest of what the issuer said and what the chain says: an issuer whose own
        // certificate ends sooner ends the leaf's usefulness too.
        Instant end = issued.validUntil();
        for (java.security.cert.X509Certificate c : chain) {
            Instant notAfter = c.getNotAfter().toInstant();
            end = notAfter.isBefore(end) ? notAfter : end;
        }
        CertifiedKey key = new CertifiedKey(keys.getPrivate(), chain, end);
        keyManager.update(key);
        Instant now = clock.instant();
        refreshedAt = now;
        refreshes.incrementAndGet();
        failedAttempts = 0;
        // Never sooner than a second: a certificate issued already nearly expired (the issuer's clock
        // behind ours) must not turn renewal into a busy loop.
        Duration delay = refreshDelay(now, end);
        if (delay.compareTo(MIN_SUCCESS_DELAY) < 0) {
            delay = MIN_SUCCESS_DELAY;
        }
        LOG.log(System.Logger.Level.INFO, "certified as {0} until {1}; renewing in {2} s", identity,
                end, String.valueOf(delay.toSeconds()));
        first.complete(key);
        schedule(delay);
    }

    private synchronized void failed(Throwable error) {
        failures.incrementAndGet();
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        CertifiedKey current = keyManager.current();
        Duration delay = retryDelay(backoff.delay(failedAttempts++), current);
        String state = current == null ? "no certificate yet"
                : current.validUntil().isAfter(clock.instant()) ? "current certificate valid until " + current.validUntil()
                : "current certificate EXPIRED at " + current.validUntil();
        LOG.log(System.Logger.Level.WARNING, "cannot certify {0} ({1}): {2}; retrying in {3} ms", identity, state,
                cause instanceof java.util.concurrent.TimeoutException ? "no answer within " + ATTEMPT_TIMEOUT.toSeconds() + " s"
                        : String.valueOf(cause.getMessage()), String.valueOf(delay.toMillis()));
        schedule(delay);
    }

    /**
     * The wait before the next attempt after a failed one: the backoff's {@code delay}, but with a
     * certificate in use, at most half the time it has left and at least {@link #MIN_RETRY_NEAR_END}
     * (so every second once it ended). The backoff is sized for an issuer that is down; the certificate's
     * end is not: a renewal that slept through it would leave every new handshake failing until its next
     * attempt, although the issuer may be back long before (a controller restart that outlasts the
     * renewal margin).
     */
    private Duration retryDelay(Duration delay, CertifiedKey current) {
        if (current == null) {
            return delay;
        }
        Duration cap = Duration.between(clock.instant(), current.validUntil()).dividedBy(2);
        if (cap.compareTo(MIN_RETRY_NEAR_END) < 0) {
            cap = MIN_RETRY_NEAR_END;
        }
        return delay.compareTo(cap) > 0 ? cap : delay;
    }

    /** True when there is a certificate and it has not ended: what TLS handshakes need. */
    public boolean hasValidCertificate() {
        CertifiedKey k = keyManager.current();
        return k != null && k.validUntil().isAfter(clock.instant());
    }

    /** Stops renewing; the current certificate stays in the key manager. */
    @Override
    public synchronized void close() {
        closed = true;
        Cancellable p = pending;
        if (p != null) {
            p.cancel();
        }
    }

    /** A pending scheduled task. */
    @FunctionalInterface
    public interface Cancellable {
        void cancel();
    }

    /** Runs tasks later; {@link #of(ScheduledExecutorService)} in production, a hand-driven queue in tests. */
    @FunctionalInterface
    public interface Scheduler {
        Cancellable schedule(Runnable task, Duration delay);

        static Scheduler of(ScheduledExecutorService executor) {
            return (task, delay) -> {
                ScheduledFuture<?> f = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
                return () -> f.cancel(false);
            };
        }
    }

    /** Builds a {@link WorkloadCertifier}. */
    public static final class Builder {
        private final WorkloadIdentity identity;
        private final Certifier certifier;
        private Scheduler scheduler;
        private Clock clock = Clock.systemUTC();
        private ExponentialBackoff backoff = ExponentialBackoff.builder()
                .min(Duration.ofMillis(500)).max(Duration.ofSeconds(30)).build();

        private Builder(WorkloadIdentity identity, Certifier certifier) {
            this.identity = requireNonNull(identity, "identity");
            this.certifier = requireNonNull(certifier, "certifier");
        }

        /** Where attempts run; required. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = requireNonNull(scheduler, "scheduler");
            return this;
        }

        public Builder scheduler(ScheduledExecutorService executor) {
            return scheduler(Scheduler.of(executor));
        }

        /** The wall clock certificate lifetimes are measured against; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** Delays between failed attempts; default 0.5 s doubling to 30 s, jittered. */
        public Builder backoff(ExponentialBackoff backoff) {
            this.backoff = requireNonNull(backoff, "backoff");
            return this;
        }

        public WorkloadCertifier build() {
            if (scheduler == null) {
                throw new IllegalStateException("a scheduler is required");
            }
            return new WorkloadCertifier(this);
        }
    }
}
