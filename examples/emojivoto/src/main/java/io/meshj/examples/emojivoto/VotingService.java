package io.meshj.examples.emojivoto;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.meshj.examples.emojivoto.v1.ResultsRequest;
import io.meshj.examples.emojivoto.v1.ResultsResponse;
import io.meshj.examples.emojivoto.v1.VoteRequest;
import io.meshj.examples.emojivoto.v1.VoteResponse;
import io.meshj.examples.emojivoto.v1.VotingResult;
import io.meshj.examples.emojivoto.v1.VotingServiceGrpc;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The voting service ({@code emojivoto.v1.VotingService}): counts votes in memory and reports the
 * tally. Voting for {@code :doughnut:} always fails with {@code UNKNOWN "ERROR"}, as in the original
 * demo, so the mesh has errors to show.
 *
 * <p>The proto has one Vote RPC per emoji. Rather than some forty identical overrides of the
 * generated base class, this binds one handler to every Vote method of the generated service
 * descriptor, and learns the emoji from the method's name ({@link Emojis#voteMethodName}).
 *
 * <p>Thread-safe: gRPC calls it from any number of threads at once.
 */
final class VotingService implements BindableService {

    private final Map<String, LongAdder> votes = new ConcurrentHashMap<>();

    @Override
    public ServerServiceDefinition bindService() {
        ServerServiceDefinition.Builder service =
                ServerServiceDefinition.builder(VotingServiceGrpc.getServiceDescriptor());
        for (var emoji : Emojis.ALL) {
            String shortcode = emoji.getShortcode();
            MethodDescriptor<VoteRequest, VoteResponse> method = voteMethod(shortcode);
            if (method == null) {
                throw new IllegalStateException("voting.proto has no " + Emojis.voteMethodName(shortcode)
                        + " for " + shortcode);
            }
            service.addMethod(method, ServerCalls.asyncUnaryCall(
                    (VoteRequest request, StreamObserver<VoteResponse> response) -> vote(shortcode, response)));
        }
        service.addMethod(VotingServiceGrpc.getResultsMethod(), ServerCalls.asyncUnaryCall(this::results));
        // build() checks that every method of the descriptor has a handler.
        return service.build();
    }

    /**
     * The Vote method for {@code shortcode} in the generated descriptor, or null if the proto has
     * none. Shared with the web service, which calls the same methods.
     */
    @SuppressWarnings("unchecked") // every Vote* method of VotingService is VoteRequest -> VoteResponse
    static MethodDescriptor<VoteRequest, VoteResponse> voteMethod(String shortcode) {
        String name = Emojis.voteMethodName(shortcode);
        for (MethodDescriptor<?, ?> method : VotingServiceGrpc.getServiceDescriptor().getMethods()) {
            if (name.equals(method.getBareMethodName())) {
                return (MethodDescriptor<VoteRequest, VoteResponse>) method;
            }
        }
        return null;
    }

    /** The current count for {@code shortcode}. */
    long votes(String shortcode) {
        LongAdder count = votes.get(shortcode);
        return count == null ? 0 : count.sum();
    }

    private void vote(String shortcode, StreamObserver<VoteResponse> response) {
        if (Emojis.DOUGHNUT.equals(shortcode)) {
            // The original's VoteDoughnut returns a bare Go error, which gRPC reports as UNKNOWN.
            response.onError(Status.UNKNOWN.withDescription("ERROR").asRuntimeException());
            return;
        }
        votes.computeIfAbsent(shortcode, s -> new LongAdder()).increment();
        response.onNext(VoteResponse.getDefaultInstance());
        response.onCompleted();
    }

    private void results(ResultsRequest request, StreamObserver<ResultsResponse> response) {
        ResultsResponse.Builder results = ResultsResponse.newBuilder();
        votes.entrySet().stream()
                .map(e -> VotingResult.newBuilder()
                        .setShortcode(e.getKey())
                        .setVotes((int) Math.min(Integer.MAX_VALUE, e.getValue().sum()))
                        .build())
                .sorted(Comparator.comparingInt(VotingResult::getVotes).reversed()
                        .thenComparing(VotingResult::getShortcode))
                .forEach(results::addResults);
        response.onNext(results.build());
        response.onCompleted();
    }
}
