package io.meshj.controller.testing;

import java.util.List;

/**
 * Reads samples out of a proxy's Prometheus text (its admin {@code /metrics}) for assertions, by
 * substring matching on the label part: enough for tests, which name the labels they care about.
 */
public final class PrometheusText {

    private PrometheusText() {
    }

    /** The sum of {@code name}'s samples whose labels contain every one of {@code labels} (e.g. {@code tls="true"}). */
    public static double sum(String text, String name, String... labels) {
        double sum = 0;
        for (String line : samples(text, name)) {
            String labelPart = line.substring(name.length(), line.lastIndexOf('}') + 1);
            boolean all = true;
            for (String l : labels) {
                all &= labelPart.contains(l);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** {@code name}'s samples, one per line: what an assertion message should show. */
    public static String series(String text, String name) {
        return String.join("\n", samples(text, name));
    }

    private static List<String> samples(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + "{")).toList();
    }
}
