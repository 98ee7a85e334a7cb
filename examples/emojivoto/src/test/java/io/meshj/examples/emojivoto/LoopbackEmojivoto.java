package io.meshj.examples.emojivoto;

import java.io.IOException;
import java.util.Optional;

/**
 * emoji, voting and web in plain mode on loopback, at free ports, without a proxy: the web service
 * dials the other two directly. For tests; close it when done.
 */
final class LoopbackEmojivoto implements AutoCloseable {

    final GrpcApp emoji;
    final GrpcApp voting;
    final WebApp web;

    LoopbackEmojivoto() throws IOException {
        emoji = GrpcApp.start("emoji", new PlainNetwork(Optional.empty()), "127.0.0.1", 0, new EmojiService());
        voting = GrpcApp.start("voting", new PlainNetwork(Optional.empty()), "127.0.0.1", 0, new VotingService());
        web = WebApp.start(new PlainNetwork(Optional.empty()), "127.0.0.1", 0,
                "127.0.0.1:" + emoji.port(), "127.0.0.1:" + voting.port());
    }

    /** Where the web service listens, {@code 127.0.0.1:port}. */
    Options.HostPort webAddress() {
        return new Options.HostPort("127.0.0.1", web.address().getPort());
    }

    @Override
    public void close() {
        web.close();
        voting.close();
        emoji.close();
    }
}
