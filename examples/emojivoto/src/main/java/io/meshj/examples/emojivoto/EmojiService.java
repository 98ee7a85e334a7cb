package io.meshj.examples.emojivoto;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshj.examples.emojivoto.v1.EmojiServiceGrpc;
import io.meshj.examples.emojivoto.v1.FindByShortcodeRequest;
import io.meshj.examples.emojivoto.v1.FindByShortcodeResponse;
import io.meshj.examples.emojivoto.v1.ListAllEmojiRequest;
import io.meshj.examples.emojivoto.v1.ListAllEmojiResponse;

/**
 * The emoji service ({@code emojivoto.v1.EmojiService}): serves the fixed catalogue in {@link Emojis}
 * from memory. Stateless, so any number of threads may call it.
 */
final class EmojiService extends EmojiServiceGrpc.EmojiServiceImplBase {

    private static final ListAllEmojiResponse ALL =
            ListAllEmojiResponse.newBuilder().addAllList(Emojis.ALL).build();

    @Override
    public void listAll(ListAllEmojiRequest request, StreamObserver<ListAllEmojiResponse> response) {
        response.onNext(ALL);
        response.onCompleted();
    }

    @Override
    public void findByShortcode(FindByShortcodeRequest request, StreamObserver<FindByShortcodeResponse> response) {
        Emojis.find(request.getShortcode()).ifPresentOrElse(
                emoji -> {
                    response.onNext(FindByShortcodeResponse.newBuilder().setEmoji(emoji).build());
                    response.onCompleted();
                },
                () -> response.onError(Status.NOT_FOUND
                        .withDescription("no emoji with shortcode " + request.getShortcode())
                        .asRuntimeException()));
    }
}
