package io.meshj.controller.destination;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.Update;
import io.meshj.core.discovery.DiscoverySource;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.name.InvalidAuthorityException;
import io.meshj.core.profile.ServiceProfile;

/**
 * The Destination API over a {@link DiscoverySource}: each {@code Get} watches one name in the backend
 * and streams what changes (see {@link EndpointStream}); cancelling the call ends the watch.
 *
 * <p>{@code GetProfile} streams the name's service profile from a {@link ProfileSource}: the current one
 * (the default profile — no routes, the default retry budget — when the name has none), then each
 * change; a slow client gets the latest, not every intermediate one.
 */
public final class DestinationService extends DestinationGrpc.DestinationImplBase {

    private final DiscoverySource backend;
    private final ProfileSource profiles;
    private final AuthorityNormalizer normalizer;

    public DestinationService(DiscoverySource backend, ProfileSource profiles, AuthorityNormalizer normalizer) {
        this.backend = requireNonNull(backend, "backend");
        this.profiles = requireNonNull(profiles, "profiles");
        this.normalizer = requireNonNull(normalizer, "normalizer");
    }

    @Override
    public void get(GetDestination request, StreamObserver<Update> responses) {
        Authority authority = parse(request.getPath(), responses);
        if (authority == null) {
            return;
        }
        // The stream sets the call's handlers before the watch starts: the backend may answer from this
        // thread, and a cancel may come at any time.
        EndpointStream stream = new EndpointStream((ServerCallStreamObserver<Update>) responses);
        stream.watching(backend.watch(authority, stream::onUpdate));
    }

    @Override
    public void getProfile(GetDestination request, StreamObserver<DestinationProfile> responses) {
        Authority authority = parse(request.getPath(), responses);
        if (authority == null) {
            return;
        }
        Authority name = authority.isIpAddress() ? authority : normalizer.normalize(authority);
        String fqn = authority.isIpAddress() ? "" : name.host();
        ProfileStream stream = new ProfileStream((ServerCallStreamObserver<DestinationProfile>) responses, fqn);
        stream.watching(profiles.watch(name, stream::onProfile));
    }

    /** One GetProfile call: the latest profile is sent when the call can take it; older ones are skipped. */
    private static final class ProfileStream extends WatchingCall<DestinationProfile> {
        private final String fqn;
        private DestinationProfile pending;

        ProfileStream(ServerCallStreamObserver<DestinationProfile> call, String fqn) {
            super(call);
            this.fqn = fqn;
        }

        synchronized void onProfile(ServiceProfile profile) {
            if (!cancelled) {
                pending = ProfileProtos.toProto(fqn, profile);
                drain();
            }
        }

        @Override
        synchronized void drain() {
            if (!cancelled && pending != null && call.isReady()) {
                call.onNext(pending);
                pending = null;
            }
        }
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
