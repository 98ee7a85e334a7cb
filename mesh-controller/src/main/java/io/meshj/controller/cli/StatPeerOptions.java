package io.meshj.controller.cli;

import io.meshj.api.metrics.v1.Resource;
import io.meshj.api.metrics.v1.StatRequest;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code meshj stat}'s {@code --to} and {@code --from} (Linkerd's): the rows' traffic to, or from, one
 * resource only, read from the clients' outbound metrics (a server's inbound ones do not say who called).
 */
final class StatPeerOptions {

    @Option(names = "--to", paramLabel = "RESOURCE",
            description = "Only each row's outbound traffic to this resource (TYPE[/NAME], e.g. deploy/web).")
    String to;

    @Option(names = "--to-namespace", paramLabel = "NS",
            description = "The namespace of --to (default: the rows' namespace; with -A, any).")
    String toNamespace;

    @Option(names = "--from", paramLabel = "RESOURCE",
            description = "Only the traffic each row received from this resource (TYPE[/NAME], e.g. deploy/vote-bot).")
    String from;

    @Option(names = "--from-namespace", paramLabel = "NS",
            description = "The namespace of --from (default: the rows' namespace; with -A, any).")
    String fromNamespace;

    /** Sets the request's from or to; usage errors for both at once, or a namespace without its resource. */
    void apply(CommandLine cli, StatRequest.Builder request) {
        if (to != null && from != null) {
            throw new ParameterException(cli, "--to and --from cannot be used together");
        }
        if (toNamespace != null && to == null) {
            throw new ParameterException(cli, "--to-namespace " + toNamespace + ": needs --to");
        }
        if (fromNamespace != null && from == null) {
            throw new ParameterException(cli, "--from-namespace " + fromNamespace + ": needs --from");
        }
        if (to != null) {
            request.setTo(resource(cli, "--to", to, toNamespace));
        } else if (from != null) {
            request.setFrom(resource(cli, "--from", from, fromNamespace));
        }
    }

    private static Resource resource(CommandLine cli, String option, String value, String namespace) {
        ResourceArg r = ResourceArg.parse(cli, option, value);
        return Resource.newBuilder().setType(r.type()).setName(r.name())
                .setNamespace(namespace == null ? "" : namespace).build();
    }
}
