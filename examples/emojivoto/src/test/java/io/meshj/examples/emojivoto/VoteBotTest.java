package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

class VoteBotTest {

    @Test
    void votesThroughTheWebServiceAndCountsTheDoughnutsFailures() throws IOException {
        try (LoopbackEmojivoto emojivoto = new LoopbackEmojivoto()) {
            Http1Client web = new Http1Client(emojivoto.webAddress(), "web-svc.emojivoto:8083", Duration.ofSeconds(5));
            try (VoteBot bot = VoteBot.start(web, "web-svc.emojivoto:8083", new VoteChooser(new Random(3)), 3,
                    Duration.ofMillis(10))) {
                await().atMost(Duration.ofSeconds(10)).until(() -> bot.votes() >= 20 && bot.failures() >= 1);

                assertThat(bot.readyLine()).isEqualTo("emojivoto vote-bot ready (plain) -> web-svc.emojivoto:8083");
            }
            // Every vote the bot saw succeed is on the leaderboard; the doughnut never is.
            Object leaderboard = Json.parse(new Http1Client(emojivoto.webAddress(), "web", Duration.ofSeconds(5))
                    .get("/api/leaderboard").body());
            assertThat(leaderboard).asInstanceOf(InstanceOfAssertFactories.LIST)
                    .allSatisfy(row -> assertThat(((Map<?, ?>) row).get("shortcode")).isNotEqualTo(":doughnut:"));
        }
    }

    @Test
    void keepsGoingWhenTheWebServiceIsUnreachable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Http1Client web = new Http1Client(new Options.HostPort("127.0.0.1", closedPort), "web", Duration.ofSeconds(1));

        try (VoteBot bot = VoteBot.start(web, "web", new VoteChooser(new Random(1)), 1, Duration.ofMillis(10))) {
            // A task that threw would never run again: many iterations prove each failure was caught.
            await().atMost(Duration.ofSeconds(10)).until(() -> bot.iterations() >= 5);

            assertThat(bot.failures()).isEqualTo(bot.iterations()).isGreaterThanOrEqualTo(5);
            assertThat(bot.votes()).isZero();
        }
    }
}
