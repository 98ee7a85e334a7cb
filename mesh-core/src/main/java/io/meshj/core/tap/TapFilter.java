package io.meshj.core.tap;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Which requests a tap subscriber wants: every condition set must hold (unset ones match anything).
 * Method is compared exactly, authority without case, the path by prefix; {@code labels} must all be
 * labels of the request's source or all of its destination — so a filter for {@code deployment=web}
 * sees what web receives and what it sends.
 */
public final class TapFilter {

    /** Matches every request. */
    public static final TapFilter ALL = builder().build();

    private final String method;
    private final String authority;
    private final String pathPrefix;
    private final Map<String, String> labels;

    private TapFilter(Builder b) {
        this.method = b.method;
        this.authority = b.authority;
        this.pathPrefix = b.pathPrefix;
        this.labels = Map.copyOf(b.labels);
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean matches(TapEvent.RequestInit r) {
        return mayMatch(r.method(), r.authority(), r.path())
                && (labels.isEmpty() || hasAll(r.request().source().labels()) || hasAll(r.request().destination().labels()));
    }

    /**
     * Whether a request with this method, authority and path can match, before its event (with the
     * labels of its ends) is built: publishers skip building events no subscriber can take.
     */
    public boolean mayMatch(String method, String authority, String path) {
        if (this.method != null && !this.method.equals(method)) {
            return false;
        }
        if (this.authority != null && !this.authority.equalsIgnoreCase(authority == null ? "" : authority)) {
            return false;
        }
        return pathPrefix == null || path != null && path.startsWith(pathPrefix);
    }

    private boolean hasAll(Map<String, String> of) {
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (!e.getValue().equals(of.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "TapFilter{method=" + method + ", authority=" + authority + ", pathPrefix=" + pathPrefix
                + ", labels=" + labels + "}";
    }

    public static final class Builder {
        private String method;
        private String authority;
        private String pathPrefix;
        private final Map<String, String> labels = new LinkedHashMap<>();

        private Builder() {
        }

        /** An HTTP method (upper case, as on the wire); null or empty: any. */
        public Builder method(String method) {
            this.method = blankToNull(method);
            return this;
        }

        public Builder authority(String authority) {
            String a = blankToNull(authority);
            this.authority = a == null ? null : a.toLowerCase(Locale.ROOT);
            return this;
        }

        public Builder pathPrefix(String prefix) {
            this.pathPrefix = blankToNull(prefix);
            return this;
        }

        /** A label the source or the destination must carry. */
        public Builder label(String name, String value) {
            labels.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
            return this;
        }

        public Builder labels(Map<String, String> labels) {
            labels.forEach(this::label);
            return this;
        }

        public TapFilter build() {
            return new TapFilter(this);
        }

        private static String blankToNull(String s) {
            return s == null || s.isEmpty() ? null : s;
        }
    }
}
