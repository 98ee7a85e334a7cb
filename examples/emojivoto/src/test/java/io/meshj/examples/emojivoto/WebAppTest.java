package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The web service's handlers against real emoji and voting servers on loopback (plain, no proxy). */
class WebAppTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LoopbackEmojivoto emojivoto;

    @BeforeEach
    void start() throws IOException {
        emojivoto = new LoopbackEmojivoto();
    }

    @AfterEach
    void stop() {
        emojivoto.close();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)).GET());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://" + emojivoto.webAddress() + pathAndQuery);
    }

    @Test
    void listIsEveryEmojiAsJson() throws Exception {
        HttpResponse<String> list = get("/api/list");

        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(Json.parse(list.body())).asInstanceOf(InstanceOfAssertFactories.LIST).hasSize(Emojis.ALL.size())
                .first().isEqualTo(Map.of("shortcode", ":joy:", "unicode", "😂"));
        assertThat(VoteBot.shortcodes(list.body())).contains(":doughnut:", ":poop:");
    }

    @Test
    void aVoteSucceedsAndShowsOnTheLeaderboard() throws Exception {
        assertThat(get("/api/vote?choice=:joy:").statusCode()).isEqualTo(200);
        assertThat(get("/api/vote?choice=%3Apoop%3A").statusCode()).isEqualTo(200);
        HttpResponse<String> again = get("/api/vote?choice=:poop:");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(Json.parse(again.body())).isEqualTo(Map.of("voted", ":poop:", "unicode", "💩"));

        HttpResponse<String> leaderboard = get("/api/leaderboard");

        assertThat(leaderboard.statusCode()).isEqualTo(200);
        assertThat(Json.parse(leaderboard.body())).isEqualTo(List.of(
                Map.of("shortcode", ":poop:", "unicode", "💩", "votes", 2L),
                Map.of("shortcode", ":joy:", "unicode", "😂", "votes", 1L)));
    }

    @Test
    void aDoughnutVoteIsAServerErrorWithTheReason() throws Exception {
        HttpResponse<String> vote = get("/api/vote?choice=:doughnut:");

        assertThat(vote.statusCode()).isEqualTo(500);
        assertThat(Json.parse(vote.body())).isEqualTo(Map.of("error", "voting for :doughnut: failed: UNKNOWN: ERROR"));
        assertThat(Json.parse(get("/api/leaderboard").body())).asInstanceOf(InstanceOfAssertFactories.LIST).isEmpty();
    }

    @Test
    void anUnknownOrMissingChoiceIsABadRequest() throws Exception {
        HttpResponse<String> unknown = get("/api/vote?choice=:nope:");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(Json.parse(unknown.body())).isEqualTo(Map.of("error", "unknown emoji :nope:"));

        assertThat(get("/api/vote").statusCode()).isEqualTo(400);
        assertThat(get("/api/vote?choice=").statusCode()).isEqualTo(400);
        // java.net.http will not send a malformed escape; the bot's client will.
        Http1Client raw = new Http1Client(emojivoto.webAddress(), "web", Duration.ofSeconds(5));
        assertThat(raw.get("/api/vote?choice=%zz").status()).isEqualTo(400);
    }

    @Test
    void theRootIsThePageAndOtherPathsAreNotFound() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<title>emojivoto</title>", "/api/vote?choice=")
                .doesNotContain("http://", "https://"); // nothing loaded from elsewhere

        assertThat(get("/favicon.ico").statusCode()).isEqualTo(404);
    }

    @Test
    void onlyGetAndHeadAreAllowed() throws Exception {
        HttpResponse<String> post = send(HttpRequest.newBuilder(uri("/api/vote?choice=:joy:"))
                .POST(HttpRequest.BodyPublishers.noBody()));

        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(Json.parse(get("/api/leaderboard").body())).asInstanceOf(InstanceOfAssertFactories.LIST).isEmpty();
    }

    @Test
    void whenVotingIsDownAVoteFailsWithAServerError() throws Exception {
        emojivoto.voting.close();

        HttpResponse<String> vote = get("/api/vote?choice=:joy:");

        assertThat(vote.statusCode()).isEqualTo(500);
        assertThat(vote.body()).contains("voting for :joy: failed: UNAVAILABLE");
    }
}
