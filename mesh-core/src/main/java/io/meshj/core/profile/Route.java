package io.meshj.core.profile;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One route of a service profile: the requests it matches, how their responses are classified, whether
 * they may be retried, and how long they may take (including retries).
 */
public final class Route {

    /** The timeout of a declared route that states none: 10 s, as in Linkerd. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final RequestMatch condition;
    private final List<ResponseClass> responseClasses;
    private final boolean retryable;
    private final Duration timeout;

    private Route(Builder b) {
        this.name = b.name;
        this.condition = b.condition;
        this.responseClasses = List.copyOf(b.responseClasses);
        this.retryable = b.retryable;
        this.timeout = b.timeout;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The route's name, used as the {@code rt_route} metric label. */
    public String name() {
        return name;
    }

    public RequestMatch condition() {
        return condition;
    }

    public List<ResponseClass> responseClasses() {
        return responseClasses;
    }

    /** True when failed requests on this route may be retried (within the retry budget). */
    public boolean isRetryable() {
        return retryable;
    }

    /** The time a request on this route may take, retries included; empty for no limit. */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /** The timeout in nanoseconds, 0 for none: for the request path, which should not allocate an Optional. */
    public long timeoutNanos() {
        return timeout == null ? 0 : timeout.toNanos();
    }

    /** True when the request matches this route's condition. */
    public boolean matches(String method, String path) {
        return condition.matches(method, path);
    }

    /** Classifies a response: the first matching response class decides; otherwise 5xx is a failure. */
    public boolean isFailure(int status) {
        for (ResponseClass rc : responseClasses) {
            if (rc.condition().matches(status)) {
                return rc.isFailure();
            }
        }
        return status >= 500;
    }

    @Override
    public String toString() {
        return "Route{" + name + "}";
    }

    /** Builds a {@link Route}. */
    public static final class Builder {
        private final String name;
        private RequestMatch condition = RequestMatch.always();
        private final List<ResponseClass> responseClasses = new ArrayList<>();
        private boolean retryable;
        private Duration timeout = DEFAULT_TIMEOUT;

        private Builder(String name) {
            requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("route name must not be empty");
            }
            this.name = name;
        }

        public Builder condition(RequestMatch condition) {
            this.condition = requireNonNull(condition, "condition");
            return this;
        }

        public Builder responseClass(ResponseClass responseClass) {
            responseClasses.add(requireNonNull(responseClass, "responseClass"));
            return this;
        }

        public Builder retryable(boolean retryable) {
            this.retryable = retryable;
            return this;
        }

        /** The route's timeout, or {@code null} for none; default {@link #DEFAULT_TIMEOUT}. */
        public Builder timeout(Duration timeout) {
            if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
                throw new IllegalArgumentException("timeout " + timeout + " must be positive");
            }
            this.timeout = timeout;
            return this;
        }

        public Route build() {
            return new Route(this);
        }
    }
}
