package io.meshj.core.name;

import static java.util.Objects.requireNonNull;

/**
 * Turns the names a client may write for a cluster-local service into the one form discovery is keyed
 * by, the way a pod's DNS search path would: with namespace {@code emojivoto} and cluster domain
 * {@code cluster.local},
 *
 * <pre>
 *   web-svc                                   → web-svc.emojivoto.svc.cluster.local
 *   web-svc.emojivoto                         → web-svc.emojivoto.svc.cluster.local
 *   web-svc.emojivoto.svc                     → web-svc.emojivoto.svc.cluster.local
 *   web-svc.emojivoto.svc.cluster.local       → (unchanged)
 *   api.example.com, 10.0.0.7, [::1]          → (unchanged)
 * </pre>
 *
 * and adds the default port when none is given. Like Kubernetes' own search path, a two-label name such
 * as {@code example.com} is first taken to be service {@code example} in namespace {@code com}; when
 * discovery says no such service exists, callers fall back to the name as written.
 */
public final class AuthorityNormalizer {

    private final String clusterDomain;
    private final String namespace;
    private final int defaultPort;
    private final String svcSuffix;

    private AuthorityNormalizer(Builder b) {
        this.clusterDomain = b.clusterDomain;
        this.namespace = b.namespace;
        this.defaultPort = b.defaultPort;
        this.svcSuffix = ".svc." + clusterDomain;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A normalizer for namespace {@code default}, cluster domain {@code cluster.local} and port 80. */
    public static AuthorityNormalizer defaults() {
        return builder().build();
    }

    /** Parses and normalises in one step. */
    public Authority normalize(String authority) {
        return normalize(Authority.parse(authority));
    }

    /** Returns the fully-qualified form of a cluster-local service name with a port. */
    public Authority normalize(Authority authority) {
        requireNonNull(authority, "authority");
        Authority withPort = authority.withDefaultPort(defaultPort);
        if (authority.isIpAddress()) {
            return withPort;
        }
        String host = authority.host();
        if (host.endsWith(svcSuffix)) {
            return withPort;
        }
        int dots = countDots(host);
        String fqdn;
        if (dots == 0) {
            fqdn = host + "." + namespace + svcSuffix;
        } else if (dots == 1) {
            fqdn = host + svcSuffix;
        } else if (dots == 2 && host.endsWith(".svc")) {
            fqdn = host + "." + clusterDomain;
        } else {
            return withPort;
        }
        return Authority.of(fqdn, withPort.port());
    }

    /** True when the normalised form of {@code authority} names a service in this cluster. */
    public boolean isClusterLocal(Authority authority) {
        return !authority.isIpAddress() && normalize(authority).host().endsWith(svcSuffix);
    }

    public String clusterDomain() {
        return clusterDomain;
    }

    public String namespace() {
        return namespace;
    }

    public int defaultPort() {
        return defaultPort;
    }

    private static int countDots(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '.') {
                n++;
            }
        }
        return n;
    }

    /** Builds an {@link AuthorityNormalizer}. */
    public static final class Builder {
        private String clusterDomain = "cluster.local";
        private String namespace = "default";
        private int defaultPort = 80;

        private Builder() {
        }

        /** The cluster's DNS domain; default {@code cluster.local}. */
        public Builder clusterDomain(String clusterDomain) {
            requireNonNull(clusterDomain, "clusterDomain");
            // Validate by parsing as a host name; keep the normalised (lower-case, no trailing dot) form.
            this.clusterDomain = Authority.parse(clusterDomain).withoutPort().host();
            return this;
        }

        /** The namespace a single-label name belongs to (the caller's own); default {@code default}. */
        public Builder namespace(String namespace) {
            requireNonNull(namespace, "namespace");
            Authority parsed = Authority.parse(namespace);
            if (parsed.hasPort() || parsed.isIpAddress() || parsed.host().indexOf('.') >= 0) {
                throw new IllegalArgumentException("namespace \"" + namespace + "\" must be a single DNS label");
            }
            this.namespace = parsed.host();
            return this;
        }

        /** The port assumed when an authority has none; default 80. */
        public Builder defaultPort(int defaultPort) {
            if (defaultPort < 1 || defaultPort > 65535) {
                throw new IllegalArgumentException("defaultPort " + defaultPort + " is out of range 1-65535");
            }
            this.defaultPort = defaultPort;
            return this;
        }

        public AuthorityNormalizer build() {
            return new AuthorityNormalizer(this);
        }
    }
}
