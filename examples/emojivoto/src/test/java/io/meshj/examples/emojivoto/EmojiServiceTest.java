package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.meshj.examples.emojivoto.v1.EmojiServiceGrpc;
import io.meshj.examples.emojivoto.v1.FindByShortcodeRequest;
import io.meshj.examples.emojivoto.v1.ListAllEmojiRequest;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EmojiServiceTest {

    private Server server;
    private ManagedChannel channel;
    private EmojiServiceGrpc.EmojiServiceBlockingStub emoji;

    @BeforeEach
    void start() throws IOException {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(new EmojiService()).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        emoji = EmojiServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    @Test
    void listAllReturnsTheWholeCatalogueInOrder() {
        assertThat(emoji.listAll(ListAllEmojiRequest.getDefaultInstance()).getListList())
                .containsExactlyElementsOf(Emojis.ALL);
    }

    @Test
    void findByShortcodeReturnsTheEmoji() {
        var found = emoji.findByShortcode(FindByShortcodeRequest.newBuilder().setShortcode(":doughnut:").build());

        assertThat(found.getEmoji().getShortcode()).isEqualTo(":doughnut:");
        assertThat(found.getEmoji().getUnicode()).isEqualTo("🍩");
    }

    @Test
    void anUnknownShortcodeIsNotFoundAndSaysWhich() {
        assertThatThrownBy(() -> emoji.findByShortcode(FindByShortcodeRequest.newBuilder().setShortcode(":nope:").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).contains(":nope:");
                });
    }
}
