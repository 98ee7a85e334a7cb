package io.meshj.core.profile;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;
import com.google.re2j.Pattern;

/**
 * A condition on a request, as in a service profile route: the method, a regular expression the whole
 * path must match, and {@code all} / {@code any} / {@code not} combinations.
 */
public sealed interface RequestMatch {

    /** True when a request with this method and path (no query string) satisfies the condition. */
    boolean matches(String method, String path);

    /** Matches every request; the condition of the default route. */
    static RequestMatch always() {
        return All.EMPTY;
    }

    /** The request's method is {@code method} (compared case-insensitively, as HTTP methods are tokens). */
    record Method(String method) implements RequestMatch {
        public Method {
            method = requireNonNull(method, "method").toUpperCase(Locale.ROOT);
        }

        @Override
        public boolean matches(String requestMethod, String path) {
            return method.equalsIgnoreCase(requestMethod);
        }
    }

    /**
     * The whole path matches {@code regex} (anchored at both ends, like Linkerd's {@code pathRegex}: a
     * route for {@code /api/vote} does not match {@code /api/vote/extra}).
     */
    record PathRegex(Pattern regex) implements RequestMatch {
        public PathRegex {
            requireNonNull(regex, "regex");
        }

        public static PathRegex of(String regex) {
            return new PathRegex(Pattern.compile(regex));
        }

        @Override
        public boolean matches(String method, String path) {
            return regex.matches(path); // RE2: linear in the path's length, whatever the expression
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PathRegex that && regex.pattern().equals(that.regex.pattern())
                    && regex.flags() == that.regex.flags();
        }

        @Override
        public int hashCode() {
            return regex.pattern().hashCode();
        }

        @Override
        public String toString() {
            return "PathRegex[" + regex.pattern() + "]";
        }
    }

    /** Every condition holds (true when empty). */
    record All(List<RequestMatch> conditions) implements RequestMatch {
        static final All EMPTY = new All(List.of());

        public All {
            conditions = List.copyOf(conditions);
        }

        @Override
        public boolean matches(String method, String path) {
            for (RequestMatch c : conditions) {
                if (!c.matches(method, path)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** At least one condition holds (false when empty). */
    record Any(List<RequestMatch> conditions) implements RequestMatch {
        public Any {
            conditions = List.copyOf(conditions);
        }

        @Override
        public boolean matches(String method, String path) {
            for (RequestMatch c : conditions) {
                if (c.matches(method, path)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The condition does not hold. */
    record Not(RequestMatch condition) implements RequestMatch {
        public Not {
            requireNonNull(condition, "condition");
        }

        @Override
        public boolean matches(String method, String path) {
            return !condition.matches(method, path);
        }
    }
}
