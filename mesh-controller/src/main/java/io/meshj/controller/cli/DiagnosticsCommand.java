package io.meshj.controller.cli;

import io.meshj.api.destination.v1.Update;
import io.meshj.api.destination.v1.WeightedAddress;
import io.meshj.core.name.Authority;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.name.InvalidAuthorityException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code meshj diagnostics}: looks at what the control plane knows. */
@Command(name = "diagnostics", mixinStandardHelpOptions = true,
        description = "Inspect the control plane's state.",
        subcommands = DiagnosticsCommand.Endpoints.class)
final class DiagnosticsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Output formats, as kubectl names them. */
    enum Format { table, wide, json, yaml }

    /**
     * {@code meshj diagnostics endpoints AUTHORITY...}: the endpoints the controller serves for each
     * name, one per line with their labels (the columns of {@code linkerd diagnostics endpoints}).
     */
    @Command(name = "endpoints", mixinStandardHelpOptions = true,
            description = "Print the endpoints the controller serves for each authority (host:port).")
    static final class Endpoints implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "AUTHORITY", arity = "1..*", description = "e.g. web.default:8080 or 10.0.0.5:8080")
        List<String> authorities;

        @Option(names = "--destination", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8086",
                description = "The controller's destination service (default: ${DEFAULT-VALUE}).")
        String destination;

        @CommandLine.Mixin
        ControllerTlsOptions tls;

        @Option(names = {"-n", "--namespace"}, defaultValue = "default",
                description = "Namespace of short names (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(names = {"-o", "--output"}, defaultValue = "table",
                description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        Format output;

        @Override
        public Integer call() {
            AuthorityNormalizer normalizer = AuthorityNormalizer.builder().namespace(namespace).build();
            List<Row> rows = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            try (DestinationClient client = DestinationClient.connect(spec.commandLine(), destination, tls)) {
                for (String name : authorities) {
                    Authority authority = parse(name, normalizer);
                    Update answer = client.firstAnswer(authority.toString());
                    if (answer.hasAdd()) {
                        for (WeightedAddress a : answer.getAdd().getAddressesList()) {
                            rows.add(new Row(authority, a, answer.getAdd().getMetricLabelsMap()));
                        }
                    } else if (answer.hasNoEndpoints() && !answer.getNoEndpoints().getExists()) {
                        missing.add(authority + ": no such service");
                    } else {
                        missing.add(authority + ": no endpoints");
                    }
                }
            }
            print(spec.commandLine().getOut(), rows);
            for (String m : missing) {
                spec.commandLine().getErr().println(m);
            }
            return 0;
        }

        private Authority parse(String name, AuthorityNormalizer normalizer) {
            try {
                Authority a = Authority.parse(name);
                return a.isIpAddress() ? a : normalizer.normalize(a);
            } catch (InvalidAuthorityException e) {
                throw new ParameterException(spec.commandLine(), "authority " + name + ": " + e.getMessage());
            }
        }

        private void print(PrintWriter out, List<Row> rows) {
            switch (output) {
                case table, wide -> {
                    if (rows.isEmpty()) {
                        out.println("No endpoints found.");
                        return;
                    }
                    boolean wide = output == Format.wide;
                    List<String[]> lines = new ArrayList<>();
                    lines.add(wide ? new String[] {"NAMESPACE", "IP", "PORT", "POD", "SERVICE", "WEIGHT", "PROTOCOL",
                        "INBOUND_PORT", "IDENTITY"} : new String[] {"NAMESPACE", "IP", "PORT", "POD", "SERVICE"});
                    for (Row r : rows) {
                        String[] base = {r.namespace(), r.ip(), Integer.toString(r.port()), r.pod(), r.service()};
                        lines.add(wide ? new String[] {base[0], base[1], base[2], base[3], base[4],
                            Integer.toString(r.weight()), r.protocol(), r.inboundPort() == 0 ? "-" : Integer.toString(r.inboundPort()),
                            r.identity().isEmpty() ? "-" : r.identity()} : base);
                    }
                    Table.print(out, lines);
                }
                case json -> out.println(Json.write(rows.stream().map(Row::toMap).toList()));
                case yaml -> {
                    out.print(Yaml.write(rows.stream().map(Row::toMap).toList()));
                    out.flush();
                }
            }
        }
    }

    /** One endpoint of one authority, as printed. */
    record Row(Authority authority, WeightedAddress address, Map<String, String> setLabels) {
        String label(String name) {
            String v = address.getMetricLabelsMap().get(name);
            if (v == null) {
                v = setLabels.get(name);
            }
            return v == null || v.isEmpty() ? "-" : v;
        }

        String namespace() {
            String ns = label("namespace");
            if (!ns.equals("-")) {
                return ns;
            }
            // From the name itself: <service>.<namespace>.svc.<domain>
            String[] parts = authority.host().split("\\.");
            return parts.length >= 3 && parts[2].equals("svc") ? parts[1] : "-";
        }

        String service() {
            String svc = label("service");
            if (!svc.equals("-")) {
                return svc;
            }
            String[] parts = authority.host().split("\\.");
            return parts.length >= 3 && parts[2].equals("svc") ? parts[0] : "-";
        }

        String ip() {
            return address.getAddress().getHost();
        }

        int port() {
            return address.getAddress().getPort();
        }

        String pod() {
            return label("pod");
        }

        int weight() {
            return address.getWeight();
        }

        String protocol() {
            return switch (address.getProtocolHint()) {
                case PROTOCOL_HINT_H2 -> "h2";
                case PROTOCOL_HINT_OPAQUE -> "opaque";
                default -> "-";
            };
        }

        int inboundPort() {
            return address.getInboundPort();
        }

        String identity() {
            return address.hasTlsIdentity() ? address.getTlsIdentity().getName() : "";
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("authority", authority.toString());
            m.put("namespace", namespace());
            m.put("ip", ip());
            m.put("port", port());
            m.put("pod", pod());
            m.put("service", service());
            m.put("weight", weight());
            m.put("protocol", protocol());
            m.put("inboundPort", inboundPort());
            m.put("identity", identity());
            Map<String, String> labels = new LinkedHashMap<>(setLabels);
            labels.putAll(address.getMetricLabelsMap());
            m.put("labels", labels);
            return m;
        }
    }
}
