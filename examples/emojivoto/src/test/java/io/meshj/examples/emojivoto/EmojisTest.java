package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.MethodDescriptor;
import io.meshj.examples.emojivoto.v1.Emoji;
import io.meshj.examples.emojivoto.v1.VotingServiceGrpc;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class EmojisTest {

    @Test
    void theCatalogueAndVotingProtoHaveExactlyOneVoteRpcPerEmoji() {
        Set<String> expected = Emojis.ALL.stream()
                .map(e -> Emojis.voteMethodName(e.getShortcode()))
                .collect(Collectors.toSet());
        Set<String> inProto = VotingServiceGrpc.getServiceDescriptor().getMethods().stream()
                .map(MethodDescriptor::getBareMethodName)
                .filter(name -> name.startsWith("Vote"))
                .collect(Collectors.toSet());

        assertThat(inProto).isEqualTo(expected);
    }

    @Test
    void atLeastTwentyFiveUniqueEmojisIncludingTheDoughnut() {
        assertThat(Emojis.ALL).hasSizeGreaterThanOrEqualTo(25);
        assertThat(Emojis.ALL).extracting(Emoji::getShortcode).doesNotHaveDuplicates()
                .allMatch(s -> s.matches(":[a-z_]+:"), "shortcodes look like :name:")
                .contains(Emojis.DOUGHNUT, ":joy:", ":poop:");
        assertThat(Emojis.ALL).extracting(Emoji::getUnicode).allMatch(u -> !u.isBlank());
    }

    @Test
    void voteMethodNamesCapitaliseEachPartOfTheShortcode() {
        assertThat(Emojis.voteMethodName(":doughnut:")).isEqualTo("VoteDoughnut");
        assertThat(Emojis.voteMethodName(":stuck_out_tongue_winking_eye:")).isEqualTo("VoteStuckOutTongueWinkingEye");
        assertThat(VotingService.voteMethod(":joy:").getFullMethodName()).isEqualTo("emojivoto.v1.VotingService/VoteJoy");
        assertThat(VotingService.voteMethod(":no_such_emoji:")).isNull();
    }
}
