package io.meshj.tls;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * Who a workload is: a service account in a namespace of a trust domain. It has two names, both
 * carried by its certificates: the DNS-like {@code <sa>.<ns>.serviceaccount.identity.meshj.<trust-domain>}
 * (what Linkerd-style tooling shows) and the SPIFFE ID {@code spiffe://<trust-domain>/ns/<ns>/sa/<sa>}
 * (what other SPIFFE systems recognise).
 */
public record WorkloadIdentity(String serviceAccount, String namespace, String trustDomain) {

    /** A DNS label (RFC 1123), which Kubernetes names of namespaces and service accounts are. */
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*");
    private static final String INFIX = ".serviceaccount.identity.meshj.";

    public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";

    /** @throws IllegalArgumentException naming the part that is not a DNS label (or domain) */
    public WorkloadIdentity {
        requireNonNull(serviceAccount, "serviceAccount");
        requireNonNull(namespace, "namespace");
        requireNonNull(trustDomain, "trustDomain");
        check(LABEL, serviceAccount, "service account");
        check(LABEL, namespace, "namespace");
        check(DOMAIN, trustDomain, "trust domain");
    }

    private static void check(Pattern p, String value, String what) {
        if (!p.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " \"" + value + "\" is not a lower-case DNS "
                    + (p == DOMAIN ? "name" : "label"));
        }
    }

    /** {@code <sa>.<ns>.serviceaccount.identity.meshj.<trust-domain>} */
    public String dnsName() {
        return serviceAccount + "." + namespace + INFIX + trustDomain;
    }

    /** {@code spiffe://<trust-domain>/ns/<ns>/sa/<sa>} */
    public String spiffeId() {
        return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }

    /**
     * The identity a DNS-like name stands for.
     *
     * @throws IllegalArgumentException if {@code name} is not such a name
     */
    public static WorkloadIdentity parseDnsName(String name) {
        int infix = name.indexOf(INFIX);
        int dot = name.indexOf('.');
        if (infix < 0 || dot < 0 || dot >= infix) {
            throw new IllegalArgumentException("\"" + name + "\" is not an identity name"
                    + " (<sa>.<ns>.serviceaccount.identity.meshj.<trust-domain>)");
        }
        return new WorkloadIdentity(name.substring(0, dot), name.substring(dot + 1, infix),
                name.substring(infix + INFIX.length()));
    }

    @Override
    public String toString() {
        return dnsName();
    }
}
