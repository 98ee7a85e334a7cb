package io.meshj.proxy.internal.registry;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshj.api.registry.v1.DeregisterRequest;
import io.meshj.api.registry.v1.DeregisterResponse;
import io.meshj.api.registry.v1.Lease;
import io.meshj.api.registry.v1.RegisterRequest;
import io.meshj.api.registry.v1.RegistryGrpc;
import io.meshj.api.registry.v1.RenewRequest;
import io.meshj.api.registry.v1.Workload;
import io.meshj.core.retry.ExponentialBackoff;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one workload registered with the controller's local registry: registers it, renews the lease
 * at a third of its time to live (so two renewals can fail before it lapses), registers again when
 * the controller has lost the lease (NOT_FOUND, e.g. after the lease ran out while it was away), keeps
 * trying with a jittered backoff while the controller is unreachable, and deregisters on close so a
 * clean shutdown leaves the mesh at once rather than at the lease's end.
 */
public final class Registrar implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Registrar.class.getName());
    private static final long DEADLINE_SECONDS = 5;

    private final RegistryGrpc.RegistryStub stub;
    private final EventExecutor timer;
    private final RegisterRequest request;
    private final java.util.function.Supplier<byte[]> token;
    private final ExponentialBackoff backoff;
    private String leaseId;
    private int failures;
    private ScheduledFuture<?> next;
    private boolean closed;

    /**
     * @param token supplies the token proving the workload's identity, read at each registration (the
     *     file may be replaced); a failure to read counts as a failed attempt
     */
    public Registrar(Channel controller, EventExecutor timer, Workload workload, java.util.function.Supplier<byte[]> token,
            ExponentialBackoff backoff) {
        this.stub = RegistryGrpc.newStub(controller);
        this.timer = timer;
        this.token = token;
        this.request = RegisterRequest.newBuilder().setWorkload(workload).build();
        this.backoff = backoff;
    }

    /** Starts registering; returns at once. */
    public synchronized void start() {
        register();
    }

    private synchronized void register() {
        if (closed) {
            return;
        }
        RegisterRequest withToken;
        try {
            withToken = request.toBuilder().setToken(com.google.protobuf.ByteString.copyFrom(token.get())).build();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot register: {0}", e.getMessage());
            retryLater();
            return;
        }
        stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).register(withToken, new Answer() {
            @Override
            void ok(Lease lease) {
                leased(lease);
            }
        });
    }

    private synchronized void renew() {
        if (closed) {
            return;
        }
        stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                .renew(RenewRequest.newBuilder().setLeaseId(leaseId).build(), new Answer() {
                    @Override
                    void ok(Lease lease) {
                        leased(lease);
                    }
                });
    }

    private synchronized void leased(Lease lease) {
        if (leaseId == null || !leaseId.equals(lease.getId())) {
            Workload w = request.getWorkload();
            LOG.log(System.Logger.Level.INFO, () -> w.getService().isEmpty() && w.getPort() == 0
                    ? "registered " + w.getName() + "." + w.getNamespace() + " with the controller (a client: no endpoint)"
                    : "registered " + w.getService() + "." + w.getNamespace() + ":" + w.getPort() + " with the controller");
        }
        leaseId = lease.getId();
        failures = 0;
        Duration ttl = Duration.ofSeconds(lease.getTtl().getSeconds(), lease.getTtl().getNanos());
        schedule(this::renew, ttl.toNanos() / 3);
    }

    private synchronized void failed(Status status) {
        if (status.getCode() == Status.Code.NOT_FOUND) {
            leaseId = null; // the controller lost it: register again now
            schedule(this::register, 0);
            return;
        }
        long delay = backoff.delayNanos(failures++);
        // A refusal needs the operator (a wrong or expired token); an unreachable controller does not.
        boolean refused = status.getCode() == Status.Code.PERMISSION_DENIED || status.getCode() == Status.Code.INVALID_ARGUMENT;
        LOG.log(refused ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, () -> "registration: " + status
                + "; trying again in " + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
        schedule(leaseId == null ? this::register : this::renew, delay);
    }

    private synchronized void retryLater() {
        schedule(this::register, backoff.delayNanos(failures++));
    }

    private void schedule(Runnable r, long delayNanos) {
        if (!closed) {
            next = timer.schedule(r, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Stops renewing and deregisters. Does not wait for the answer (it may be called on an event loop);
     * if the controller does not hear of it, the lease lapses.
     */
    @Override
    public void close() {
        String lease;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (next != null) {
                next.cancel(false);
            }
            lease = leaseId;
        }
        if (lease != null) {
            stub.withDeadlineAfter(2, TimeUnit.SECONDS).deregister(DeregisterRequest.newBuilder().setLeaseId(lease).build(),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(DeregisterResponse r) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            LOG.log(System.Logger.Level.DEBUG, () -> "deregistration failed (the lease will lapse): " + t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
        }
    }

    /** One RPC's answer, handed back to the registrar. */
    private abstract class Answer implements StreamObserver<Lease> {
        abstract void ok(Lease lease);

        @Override
        public void onNext(Lease lease) {
            ok(lease);
        }

        @Override
        public void onError(Throwable t) {
            failed(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
        }
    }
}
