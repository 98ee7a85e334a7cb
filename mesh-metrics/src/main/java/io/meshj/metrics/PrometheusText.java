package io.meshj.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Prometheus text exposition format 0.0.4 (what proxies serve at {@code /metrics}) into
 * {@link Sample}s, for {@code meshj stat} without a Prometheus server. Comments and blank lines are
 * skipped; label values are unescaped ({@code \\\\}, {@code \\"}, {@code \\n}); an optional timestamp is
 * ignored.
 */
public final class PrometheusText {

    private PrometheusText() {
    }

    /**
     * @throws IllegalArgumentException naming the line number and what is wrong with it
     */
    public static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            try {
                out.add(parseLine(l));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage() + ": " + abbreviate(l), e);
            }
        }
        return out;
    }

    private static Sample parseLine(String l) {
        int i = 0;
        while (i < l.length() && l.charAt(i) != '{' && l.charAt(i) != ' ' && l.charAt(i) != '\t') {
            i++;
        }
        String name = l.substring(0, i);
        if (name.isEmpty()) {
            throw new IllegalArgumentException("no metric name");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < l.length() && l.charAt(i) == '{') {
            i++;
            while (true) {
                while (i < l.length() && (l.charAt(i) == ' ' || l.charAt(i) == ',')) {
                    i++;
                }
                if (i >= l.length()) {
                    throw new IllegalArgumentException("unterminated labels");
                }
                if (l.charAt(i) == '}') {
                    i++;
                    break;
                }
                int eq = l.indexOf('=', i);
                if (eq < 0 || eq + 1 >= l.length() || l.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("a label without =\"value\"");
                }
                String key = l.substring(i, eq).strip();
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (; j < l.length(); j++) {
                    char c = l.charAt(j);
                    if (c == '\\' && j + 1 < l.length()) {
                        char n = l.charAt(++j);
                        value.append(n == 'n' ? '\n' : n);
                    } else if (c == '"') {
                        break;
                    } else {
                        value.append(c);
                    }
                }
                if (j >= l.length()) {
                    throw new IllegalArgumentException("unterminated label value");
                }
                labels.put(key, value.toString());
                i = j + 1;
            }
        }
        String[] rest = l.substring(i).strip().split("\\s+");
        if (rest.length == 0 || rest[0].isEmpty()) {
            throw new IllegalArgumentException("no value");
        }
        return new Sample(name, labels, value(rest[0]));
    }

    private static double value(String v) {
        return switch (v) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }

    private static String abbreviate(String l) {
        return l.length() <= 120 ? l : l.substring(0, 117) + "...";
    }
}
