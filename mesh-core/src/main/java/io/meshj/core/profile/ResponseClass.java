package io.meshj.core.profile;

import static java.util.Objects.requireNonNull;

/**
 * Classifies the responses that match {@code condition} as failures or successes, overriding the
 * default (5xx is a failure). Response classes are tried in order; the first match decides.
 */
public record ResponseClass(ResponseMatch condition, boolean isFailure) {
    public ResponseClass {
        requireNonNull(condition, "condition");
    }
}
