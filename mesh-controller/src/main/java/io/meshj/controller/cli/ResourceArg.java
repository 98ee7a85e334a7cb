package io.meshj.controller.cli;

import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** A {@code TYPE[/NAME]} argument (deploy, deploy/web, po/web-1), as kubectl and Linkerd's CLI take them. */
record ResourceArg(String type, String name) {

    /** {@code value} of {@code option} (named in the error), split; an empty type or name is a usage error. */
    static ResourceArg parse(CommandLine cli, String option, String value) {
        int slash = value.indexOf('/');
        String type = slash < 0 ? value : value.substring(0, slash);
        String name = slash < 0 ? "" : value.substring(slash + 1);
        if (type.isEmpty() || slash >= 0 && (name.isEmpty() || name.contains("/"))) {
            throw new ParameterException(cli, option + " " + value + ": expected TYPE or TYPE/NAME, e.g. deploy/web");
        }
        return new ResourceArg(type, name);
    }

    /** Whether the type is namespaces themselves, which no namespace option applies to. */
    boolean isNamespace() {
        return switch (type.toLowerCase(Locale.ROOT)) {
            case "ns", "namespace", "namespaces" -> true;
            default -> false;
        };
    }
}
