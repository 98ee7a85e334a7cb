package io.meshj.controller.destination;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.RetryBudget;
import io.meshj.api.destination.v1.Update;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.name.InvalidAuthorityException;

/**
 * The Destination API over a {@link DiscoverySource}: each {@code Get} watches one name in the backend
 * and streams what changes (see {@link EndpointStream}); cancelling the call ends the watch.
 *
 * <p>Profiles are not served from a store yet: {@code GetProfile} answers every name with the default
 * profile (no routes, the default retry budget) and keeps the stream open, so clients written against
 * the API work unchanged when profiles arrive.
 */
public final class DestinationService extends DestinationGrpc.DestinationImplBase {

    /** Linkerd's defaults: retries may add 20 % to the load, at least 10 a second, over a 10 s window. */
    private static final RetryBudget DEFAULT_RETRY_BUDGET = RetryBudget.newBuilder()
            .setRetryRatio(0.2f)
            .setMinRetriesPerSecond(10)
            .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(10))
            .build();

    private final DiscoverySource backend;
    private final AuthorityNormalizer normalizer;

    public DestinationService(DiscoverySource backend, AuthorityNormalizer normalizer) {
        this.backend = requireNonNull(backend, "backend");
        this.normalizer = requireNonNull(normalizer, "normalizer");
    }

    @Override
    public void get(GetDestination request, StreamObserver<Update> responses) {
        Authority authority = parse(request.getPath(), responses);
        if (authority == null) {
            return;
        }
        ServerCallStreamObserver<Update> call = (ServerCallStreamObserver<Update>) responses;
        EndpointStream stream = new EndpointStream(call);
        // Handlers first: the backend may answer from this thread, and a cancel may come at any time.
        call.setOnReadyHandler(stream::drain);
        call.setOnCancelHandler(stream::cancel);
        stream.watching(backend.watch(authority, stream::onUpdate));
    }

    @Override
    public void getProfile(GetDestination request, StreamObserver<DestinationProfile> responses) {
        Authority authority = parse(request.getPath(), responses);
        if (authority == null) {
            return;
        }
        Authority name = authority.isIpAddress() ? authority : normalizer.normalize(authority);
        responses.onNext(DestinationProfile.newBuilder()
                .setFullyQualifiedName(authority.isIpAddress() ? "" : name.host())
                .setRetryBudget(DEFAULT_RETRY_BUDGET)
                .build());
        // The stream stays open (a later profile change would follow); the client ends it.
    }

    /** The authority in {@code path}, or null after answering INVALID_ARGUMENT naming it. */
    private static Authority parse(String path, StreamObserver<?> responses) {
        if (path.isEmpty()) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("path is empty: expected host:port or IP:port")
                    .asRuntimeException());
            return null;
        }
        try {
            return Authority.parse(path);
        } catch (InvalidAuthorityException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("path \"" + path + "\": " + e.getMessage())
                    .asRuntimeException());
            return null;
        }
    }
}
