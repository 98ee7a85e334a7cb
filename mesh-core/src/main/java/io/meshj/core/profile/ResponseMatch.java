package io.meshj.core.profile;

import java.util.List;
import java.util.Objects;

/** A condition on a response, as in a service profile response class. */
public sealed interface ResponseMatch {

    /** True when a response with this HTTP status satisfies the condition. */
    boolean matches(int status);

    /** The status is in {@code [min, max]}. */
    record Status(int min, int max) implements ResponseMatch {
        public Status {
            if (min < 100 || max > 599 || min > max) {
                throw new IllegalArgumentException("status range " + min + "-" + max + " is not within 100-599");
            }
        }

        @Override
        public boolean matches(int status) {
            return status >= min && status <= max;
        }
    }

    /** Every condition holds (true when empty). */
    record All(List<ResponseMatch> conditions) implements ResponseMatch {
        public All {
            conditions = List.copyOf(conditions);
        }

        @Override
        public boolean matches(int status) {
            for (ResponseMatch c : conditions) {
                if (!c.matches(status)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** At least one condition holds (false when empty). */
    record Any(List<ResponseMatch> conditions) implements ResponseMatch {
        public Any {
            conditions = List.copyOf(conditions);
        }

        @Override
        public boolean matches(int status) {
            for (ResponseMatch c : conditions) {
                if (c.matches(status)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The condition does not hold. */
    record Not(ResponseMatch condition) implements ResponseMatch {
        public Not {
            Objects.requireNonNull(condition, "condition");
        }

        @Override
        public boolean matches(int status) {
            return !condition.matches(status);
        }
    }
}
