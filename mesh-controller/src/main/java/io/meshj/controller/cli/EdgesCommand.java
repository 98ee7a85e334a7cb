package io.meshj.controller.cli;

import io.meshj.api.metrics.v1.Edge;
import io.meshj.api.metrics.v1.EdgesRequest;
import io.meshj.api.metrics.v1.EdgesResponse;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code meshj edges}: which resources talk to which, and whether over mTLS, in the columns of Linkerd's
 * {@code viz edges}, from the controller's scrapes of the clients' proxies.
 */
@Command(name = "edges", mixinStandardHelpOptions = true,
        description = "The connections between meshed resources of a type, and whether each is secured by mTLS,"
                + " from the source proxies' outbound traffic.")
final class EdgesCommand implements Callable<Integer> {

    /** Linkerd's marks for a secured and an unsecured edge. */
    static final String SECURED = "√";
    static final String NOT_SECURED = "×";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RESOURCE",
            description = "TYPE or TYPE/NAME; TYPE is deploy, pod, svc or ns. With a NAME, only the edges from or to it.")
    String resource;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default",
            description = "Only edges from or to this namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = {"-A", "--all-namespaces"}, description = "Every namespace.")
    boolean allNamespaces;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table, wide or json (default: ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--destination", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8086",
            description = "The controller (default: ${DEFAULT-VALUE}).")
    String destination;

    @CommandLine.Mixin
    ControllerTlsOptions tls;

    @Override
    public Integer call() {
        String format = output.toLowerCase(Locale.ROOT);
        if (!List.of("table", "wide", "json").contains(format)) {
            throw new ParameterException(spec.commandLine(), "-o " + output + ": use table, wide or json");
        }
        ResourceArg r = ResourceArg.parse(spec.commandLine(), "RESOURCE", resource);
        EdgesRequest request = EdgesRequest.newBuilder()
                .setNamespace(allNamespaces || r.isNamespace() ? "" : namespace)
                .setResourceType(r.type()).setResourceName(r.name())
                .build();
        EdgesResponse response;
        try (DestinationClient client = DestinationClient.connect(spec.commandLine(), destination, tls)) {
            response = client.edges(request);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format.equals("json")) {
            out.println(Json.write(json(response)));
        } else if (response.getEdgesCount() == 0) {
            out.println("No edges found.");
        } else {
            print(out, response, format.equals("wide"));
        }
        out.flush();
        return 0;
    }

    /** The table, in the controller's (sorted) order; {@code wide} adds CLIENT_ID, SERVER_ID and MSG. */
    static void print(PrintWriter out, EdgesResponse response, boolean wide) {
        List<String[]> rows = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("SRC", "DST", "SRC_NS", "DST_NS", "SECURED"));
        if (wide) {
            head.addAll(List.of("CLIENT_ID", "SERVER_ID", "MSG"));
        }
        rows.add(head.toArray(new String[0]));
        for (Edge e : response.getEdgesList()) {
            List<String> row = new ArrayList<>(List.of(e.getSrc(), e.getDst(), e.getSrcNamespace(), e.getDstNamespace(),
                    e.getSecured() ? SECURED : NOT_SECURED));
            if (wide) {
                row.addAll(List.of(dash(e.getClientId()), dash(e.getServerId()), e.getNoTlsReason()));
            }
            rows.add(row.toArray(new String[0]));
        }
        Table.print(out, rows);
    }

    /** An unknown identity shows as "-", so that the columns after it stay readable. */
    private static String dash(String s) {
        return s.isEmpty() ? "-" : s;
    }

    /** Linkerd's edges -o json keys. */
    private static List<Map<String, Object>> json(EdgesResponse response) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Edge e : response.getEdgesList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("src", e.getSrc());
            m.put("src_namespace", e.getSrcNamespace());
            m.put("dst", e.getDst());
            m.put("dst_namespace", e.getDstNamespace());
            m.put("secured", e.getSecured());
            m.put("client_id", e.getClientId());
            m.put("server_id", e.getServerId());
            m.put("no_tls_reason", e.getNoTlsReason());
            out.add(m);
        }
        return out;
    }
}
