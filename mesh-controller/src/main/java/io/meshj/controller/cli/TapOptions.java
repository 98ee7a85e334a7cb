package io.meshj.controller.cli;

import io.meshj.api.tap.v1.Match;
import io.meshj.api.tap.v1.ObserveRequest;
import io.meshj.controller.ResourceType;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

/** What {@code meshj tap} and {@code meshj top} share: whose requests, which of them, how many, from where. */
final class TapOptions {

    @Parameters(index = "0", paramLabel = "RESOURCE",
            description = "TYPE or TYPE/NAME; TYPE is deploy, pod, svc or ns (e.g. deploy/voting, ns/emojivoto).")
    String resource;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "The namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--method", paramLabel = "M", description = "Only requests with this HTTP method.")
    String method;

    @Option(names = "--path", paramLabel = "P", description = "Only requests whose path starts with this.")
    String path;

    @Option(names = "--authority", paramLabel = "A", description = "Only requests for this authority.")
    String authority;

    @Option(names = "--max-rps", paramLabel = "N", defaultValue = "100",
            description = "At most this many requests per second are shown; 0: all (default: ${DEFAULT-VALUE}).")
    double maxRps;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Stop after this many requests; 0: until interrupted (default: ${DEFAULT-VALUE}).")
    long limit;

    @Option(names = "--destination", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8086",
            description = "The controller (default: ${DEFAULT-VALUE}).")
    String destination;

    @CommandLine.Mixin
    ControllerTlsOptions tls;

    /** The Observe request these options ask for; bad values are usage errors of {@code cli}. */
    ObserveRequest request(CommandLine cli) {
        int slash = resource.indexOf('/');
        String type = slash < 0 ? resource : resource.substring(0, slash);
        String name = slash < 0 ? "" : resource.substring(slash + 1);
        ResourceType t = ResourceType.parse(type);
        if (t == null) {
            throw new ParameterException(cli, "RESOURCE " + resource + ": unknown type \"" + type + "\": " + ResourceType.expected());
        }
        if (maxRps < 0 || Double.isNaN(maxRps) || Double.isInfinite(maxRps)) {
            throw new ParameterException(cli, "--max-rps " + maxRps + ": must be 0 or more");
        }
        if (limit < 0 || limit > 0xFFFF_FFFFL) {
            throw new ParameterException(cli, "--limit " + limit + ": must be between 0 and 4294967295");
        }
        Match.Builder match = Match.newBuilder();
        if (method != null) {
            match.setMethod(method.toUpperCase(java.util.Locale.ROOT));
        }
        if (path != null) {
            match.setPathPrefix(path);
        }
        if (authority != null) {
            match.setAuthority(authority);
        }
        return ObserveRequest.newBuilder()
                .setNamespace(t == ResourceType.NAMESPACE ? "" : namespace)
                .setResourceType(type).setResourceName(name)
                .setMaxRps(maxRps).setLimit((int) limit)
                .setMatch(match).build();
    }
}
