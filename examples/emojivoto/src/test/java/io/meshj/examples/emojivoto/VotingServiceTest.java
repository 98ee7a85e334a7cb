package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.meshj.examples.emojivoto.v1.ResultsRequest;
import io.meshj.examples.emojivoto.v1.VoteRequest;
import io.meshj.examples.emojivoto.v1.VotingResult;
import io.meshj.examples.emojivoto.v1.VotingServiceGrpc;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VotingServiceTest {

    private final VotingService service = new VotingService();
    private Server server;
    private ManagedChannel channel;
    private VotingServiceGrpc.VotingServiceBlockingStub voting;

    @BeforeEach
    void start() throws IOException {
        String name = InProcessServerBuilder.generateName();
        // Not directExecutor: the concurrency test needs calls to run on many threads at once.
        server = InProcessServerBuilder.forName(name).addService(service).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
        voting = VotingServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    @Test
    void votesAreCountedAndResultsComeMostVotesFirst() {
        voting.voteJoy(VoteRequest.getDefaultInstance());
        voting.voteSunglasses(VoteRequest.getDefaultInstance());
        voting.voteSunglasses(VoteRequest.getDefaultInstance());
        voting.voteSunglasses(VoteRequest.getDefaultInstance());
        voting.votePoop(VoteRequest.getDefaultInstance());
        voting.votePoop(VoteRequest.getDefaultInstance());

        assertThat(voting.results(ResultsRequest.getDefaultInstance()).getResultsList())
                .extracting(VotingResult::getShortcode, VotingResult::getVotes)
                .containsExactly(
                        tuple(":sunglasses:", 3),
                        tuple(":poop:", 2),
                        tuple(":joy:", 1));
    }

    @Test
    void votingForTheDoughnutFailsWithUnknownAndIsNotCounted() {
        assertThatThrownBy(() -> voting.voteDoughnut(VoteRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
                    assertThat(e.getStatus().getDescription()).isEqualTo("ERROR");
                });

        assertThat(service.votes(":doughnut:")).isZero();
        assertThat(voting.results(ResultsRequest.getDefaultInstance()).getResultsList()).isEmpty();
    }

    @Test
    void everyEmojiButTheDoughnutCanBeVotedForThroughItsOwnRpc() {
        for (var emoji : Emojis.ALL) {
            if (!emoji.getShortcode().equals(Emojis.DOUGHNUT)) {
                ClientCalls.blockingUnaryCall(channel, VotingService.voteMethod(emoji.getShortcode()),
                        CallOptions.DEFAULT, VoteRequest.getDefaultInstance());
                assertThat(service.votes(emoji.getShortcode())).as(emoji.getShortcode()).isEqualTo(1);
            }
        }
    }

    @Test
    void concurrentVotesAreAllCounted() throws Exception {
        int threads = 8;
        int votesEach = 250;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < votesEach; i++) {
                        voting.voteJoy(VoteRequest.getDefaultInstance());
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(service.votes(":joy:")).isEqualTo((long) threads * votesEach);
        assertThat(voting.results(ResultsRequest.getDefaultInstance()).getResults(0).getVotes())
                .isEqualTo(threads * votesEach);
    }
}
