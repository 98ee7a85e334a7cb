package io.meshj.controller.cli;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.Update;
import io.meshj.core.name.Authority;
import io.meshj.core.name.InvalidAuthorityException;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** A short-lived client of the controller's destination service, for CLI commands: one question, one answer. */
final class DestinationClient implements AutoCloseable {

    /** How long a command waits for the controller before saying it cannot reach it. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final String target;
    private final ManagedChannel channel;

    private DestinationClient(String target, Authority address, io.grpc.ChannelCredentials tls) {
        this.target = target;
        this.channel = (tls == null ? NettyChannelBuilder.forAddress(address.host(), address.port()).usePlaintext()
                : NettyChannelBuilder.forAddress(address.host(), address.port(), tls)).build();
    }

    /**
     * A client of {@code target} (host:port), over TLS if {@code tls} says so; a malformed target is a
     * usage error of {@code cli}.
     */
    static DestinationClient connect(CommandLine cli, String target, ControllerTlsOptions tls) {
        Authority address;
        try {
            address = Authority.parse(target);
        } catch (InvalidAuthorityException e) {
            throw new ParameterException(cli, "--destination " + target + ": " + e.getMessage());
        }
        if (!address.hasPort()) {
            throw new ParameterException(cli, "--destination " + target + ": a port is required");
        }
        return new DestinationClient(target, address, tls == null ? null : tls.credentials(cli));
    }

    String target() {
        return target;
    }

    /**
     * The controller's current answer for {@code path}: the first message of a Get stream. Throws
     * {@link ControllerUnavailableException} when the controller cannot be reached in time, and
     * {@link IllegalArgumentException} when it rejects the path.
     */
    Update firstAnswer(String path) {
        Iterator<Update> updates = DestinationGrpc.newBlockingStub(channel)
                .withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(GetDestination.newBuilder().setPath(path).build());
        try {
            return updates.next();
        } catch (StatusRuntimeException e) {
            throw failure(e);
        }
    }

    /** A rejection of the request as the user's error; anything else as the controller being unavailable. */
    private RuntimeException failure(StatusRuntimeException e) {
        Status s = e.getStatus();
        if (s.getCode() == Status.Code.INVALID_ARGUMENT) {
            return new IllegalArgumentException(s.getDescription(), e);
        }
        return new ControllerUnavailableException("cannot reach the controller at " + target + ": "
                + s.getCode() + (s.getDescription() == null ? "" : " (" + s.getDescription() + ")"), e);
    }

    /** The controller's stat; errors as {@link #firstAnswer}. */
    io.meshj.api.metrics.v1.StatResponse stat(io.meshj.api.metrics.v1.StatRequest request) {
        try {
            return io.meshj.api.metrics.v1.MetricsGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).stat(request);
        } catch (StatusRuntimeException e) {
            throw failure(e);
        }
    }

    /**
     * The controller's tap of {@code request}: events as they come, until its limit or until closed.
     * The iterator throws {@link IllegalArgumentException} for a resource the controller cannot tap
     * (unknown type, nothing meshed), and {@link ControllerUnavailableException} otherwise.
     */
    Iterator<io.meshj.api.tap.v1.TapEvent> tap(io.meshj.api.tap.v1.ObserveRequest request) {
        Iterator<io.meshj.api.tap.v1.TapEvent> events = io.meshj.api.tap.v1.TapGrpc.newBlockingStub(channel).observe(request);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return events.hasNext();
                } catch (StatusRuntimeException e) {
                    Status s = e.getStatus();
                    if (s.getCode() == Status.Code.NOT_FOUND || s.getCode() == Status.Code.INVALID_ARGUMENT) {
                        throw new IllegalArgumentException(s.getDescription(), e);
                    }
                    if (s.getCode() == Status.Code.UNAVAILABLE && s.getDescription() != null
                            && s.getDescription().startsWith("cannot tap")) {
                        throw new ControllerUnavailableException(s.getDescription(), e);
                    }
                    throw failure(e);
                }
            }

            @Override
            public io.meshj.api.tap.v1.TapEvent next() {
                return events.next();
            }
        };
    }

    /** The controller's routes; a resource it does not know is the user's error too. */
    io.meshj.api.metrics.v1.RoutesResponse routes(io.meshj.api.metrics.v1.RoutesRequest request) {
        try {
            return io.meshj.api.metrics.v1.MetricsGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).routes(request);
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                throw new IllegalArgumentException(e.getStatus().getDescription(), e);
            }
            throw failure(e);
        }
    }

    /** The controller's edges; errors as {@link #firstAnswer}. */
    io.meshj.api.metrics.v1.EdgesResponse edges(io.meshj.api.metrics.v1.EdgesRequest request) {
        try {
            return io.meshj.api.metrics.v1.MetricsGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).edges(request);
        } catch (StatusRuntimeException e) {
            throw failure(e);
        }
    }

    @Override
    public void close() {
        // Ends the stream the blocking call left open, too.
        channel.shutdownNow();
    }

    /** The controller did not answer: a failure of the environment, not of the user's input. */
    static final class ControllerUnavailableException extends RuntimeException {
        ControllerUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
