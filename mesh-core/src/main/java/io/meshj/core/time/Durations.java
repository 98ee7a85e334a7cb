package io.meshj.core.time;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Durations written the way Kubernetes, Linkerd and Go write them: {@code 250ms}, {@code 10s},
 * {@code 1m30s}, {@code 24h}, {@code 1.5s}. Service profiles and CLI flags use this syntax, so a value
 * copied from a Linkerd manifest means the same thing here.
 */
public final class Durations {

    private Durations() {
    }

    /**
     * Parses a Go-style duration: one or more {@code <number><unit>} pairs, units {@code ns},
     * {@code us} (or {@code µs}), {@code ms}, {@code s}, {@code m}, {@code h}; the number may have a
     * fraction. A lone {@code 0} is zero. Negative durations are rejected.
     *
     * @throws IllegalArgumentException naming the problem, e.g. {@code unknown unit "sec" in "5sec"}
     */
    public static Duration parse(String text) {
        requireNonNull(text, "text");
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.charAt(0) == '-') {
            throw new IllegalArgumentException("negative duration \"" + text + "\"");
        }
        long totalNanos = 0;
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            if (start == i) {
                throw new IllegalArgumentException("expected a number at position " + start + " in \"" + text
                        + "\" (write e.g. 500ms, 10s, 1m30s)");
            }
            String number = s.substring(start, i);
            int unitStart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            String unit = s.substring(unitStart, i);
            long unitNanos = unitNanos(unit, text);
            double value;
            try {
                value = Double.parseDouble(number);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid number \"" + number + "\" in \"" + text + "\"");
            }
            double nanos = value * unitNanos;
            if (nanos > Long.MAX_VALUE - totalNanos) {
                throw new IllegalArgumentException("duration \"" + text + "\" is too long");
            }
            totalNanos += Math.round(nanos);
        }
        return Duration.ofNanos(totalNanos);
    }

    /** Formats a duration in the same syntax, choosing the largest exact units: {@code 1m30s}, {@code 250ms}. */
    public static String format(Duration duration) {
        requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("negative duration " + duration);
        }
        if (duration.isZero()) {
            return "0s";
        }
        long nanos = duration.toNanos();
        if (nanos % 1_000_000_000L != 0) {
            if (nanos % 1_000_000L == 0) {
                return (nanos / 1_000_000L) + "ms";
            }
            if (nanos % 1_000L == 0) {
                return (nanos / 1_000L) + "us";
            }
            return nanos + "ns";
        }
        long seconds = nanos / 1_000_000_000L;
        StringBuilder b = new StringBuilder();
        if (seconds >= 3600) {
            b.append(seconds / 3600).append('h');
            seconds %= 3600;
        }
        if (seconds >= 60) {
            b.append(seconds / 60).append('m');
            seconds %= 60;
        }
        if (seconds > 0) {
            b.append(seconds).append('s');
        }
        return b.toString();
    }

    private static long unitNanos(String unit, String text) {
        switch (unit) {
            case "ns":
                return 1L;
            case "us":
            case "µs":
            case "μs":
                return 1_000L;
            case "ms":
                return 1_000_000L;
            case "s":
                return 1_000_000_000L;
            case "m":
                return 60_000_000_000L;
            case "h":
                return 3_600_000_000_000L;
            case "":
                throw new IllegalArgumentException("missing unit in \"" + text + "\" (use ns, us, ms, s, m or h)");
            default:
                throw new IllegalArgumentException("unknown unit \"" + unit + "\" in \"" + text
                        + "\" (use ns, us, ms, s, m or h)");
        }
    }
}
