package io.meshj.core.grpc;

import io.meshj.core.profile.RequestMatch;
import io.meshj.core.profile.Route;
import io.meshj.core.profile.ServiceProfile;
import io.meshj.core.retry.RetryBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A service profile as gRPC-Java's service config, so an embedded channel applies the profile's route
 * timeouts and retries with gRPC's own machinery: a route whose condition names one gRPC method (a
 * {@code pathRegex} that is the literal {@code /pkg.Service/Method}) or one service
 * ({@code /pkg.Service/.*}) becomes a {@code methodConfig} — its timeout as the call's deadline, and
 * when the route is retryable, a {@code retryPolicy} retrying the failure codes. The profile's retry
 * budget becomes gRPC's {@code retryThrottling}: a token bucket that stops retries when failures
 * outrun successes, the closest gRPC has to Linkerd's budget (a ratio of retries to requests over a
 * window, with a floor). Routes with any other condition are matched by nothing here: gRPC configures
 * methods by exact name only.
 *
 * <p>The mapping of the budget: {@code tokenRatio} = the retry ratio (each success earns that much of a
 * retry), {@code maxTokens} = the floor's retries over the window ({@code minRetriesPerSecond × ttl},
 * within gRPC's 1..1000).
 */
final class ProfileServiceConfig {

    /** gRPC's limit on attempts of one call (it caps maxAttempts at 5). */
    private static final double MAX_ATTEMPTS = 3;
    /** Failure statuses a retryable route retries: what a server or the network can fail transiently with. */
    private static final List<String> RETRYABLE = List.of("UNAVAILABLE", "UNKNOWN", "INTERNAL", "RESOURCE_EXHAUSTED");

    private ProfileServiceConfig() {
    }

    /** The service config of a channel balancing with {@value MeshLoadBalancerProvider#POLICY} under {@code profile}. */
    static Map<String, ?> of(ServiceProfile profile) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("loadBalancingConfig", List.of(Map.of(MeshLoadBalancerProvider.POLICY, Map.of())));
        if (profile == null) {
            return config;
        }
        List<Object> methods = new ArrayList<>();
        boolean retries = false;
        for (Route route : profile.routes()) {
            Optional<Map<String, String>> name = grpcName(route.condition());
            if (name.isEmpty() || route.timeout().isEmpty() && !route.isRetryable()) {
                continue;
            }
            Map<String, Object> mc = new LinkedHashMap<>();
            mc.put("name", List.of(name.get()));
            route.timeout().ifPresent(t -> mc.put("timeout", seconds(t)));
            if (route.isRetryable()) {
                retries = true;
                mc.put("retryPolicy", Map.of("maxAttempts", MAX_ATTEMPTS, "initialBackoff", "0.025s",
                        "maxBackoff", "0.25s", "backoffMultiplier", 2.0, "retryableStatusCodes", RETRYABLE));
            }
            methods.add(mc);
        }
        if (!methods.isEmpty()) {
            config.put("methodConfig", methods);
        }
        if (retries) {
            RetryBudget.Spec b = profile.retryBudget();
            double tokens = Math.max(1, Math.min(1000, b.minRetriesPerSecond() * (double) b.ttl().toSeconds()));
            config.put("retryThrottling", Map.of("maxTokens", tokens, "tokenRatio", Math.max(0.001, b.retryRatio())));
        }
        return config;
    }

    /**
     * The gRPC method or service a route's condition names: {@code {service, method}} for the literal
     * {@code /pkg.Service/Method}, {@code {service}} for {@code /pkg.Service/.*}; empty for anything else.
     */
    static Optional<Map<String, String>> grpcName(RequestMatch condition) {
        if (condition instanceof RequestMatch.All all) {
            // {method: POST, pathRegex: ...}, as profiles generated from protos say it: every gRPC call is a POST.
            RequestMatch.PathRegex path = null;
            for (RequestMatch c : all.conditions()) {
                if (c instanceof RequestMatch.PathRegex p && path == null) {
                    path = p;
                } else if (!(c instanceof RequestMatch.Method m && m.method().equals("POST"))) {
                    return Optional.empty();
                }
            }
            return path == null ? Optional.empty() : grpcName(path);
        }
        if (!(condition instanceof RequestMatch.PathRegex p)) {
            return Optional.empty();
        }
        String regex = p.regex().pattern();
        if (regex.startsWith("^")) {
            regex = regex.substring(1);
        }
        if (regex.endsWith("$") && !regex.endsWith("\\$")) {
            regex = regex.substring(0, regex.length() - 1);
        }
        boolean wholeService = regex.endsWith("/.*");
        if (wholeService) {
            regex = regex.substring(0, regex.length() - 2);
        }
        String literal = literal(regex);
        if (literal == null || !literal.startsWith("/")) {
            return Optional.empty();
        }
        String[] parts = literal.substring(1).split("/", -1);
        if (parts.length != 2 || parts[0].isEmpty()) {
            return Optional.empty();
        }
        if (wholeService) {
            return parts[1].isEmpty() ? Optional.of(Map.of("service", parts[0])) : Optional.empty();
        }
        return parts[1].isEmpty() ? Optional.empty() : Optional.of(Map.of("service", parts[0], "method", parts[1]));
    }

    /** The string {@code regex} matches, if it matches exactly one (escaped punctuation only); else null. */
    private static String literal(String regex) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\') {
                if (i + 1 == regex.length() || Character.isLetterOrDigit(regex.charAt(i + 1))) {
                    return null; // \d, \w ... are classes, not characters
                }
                b.append(regex.charAt(++i));
            } else if (".[](){}*+?|^$".indexOf(c) >= 0) {
                return null;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String seconds(Duration d) {
        return java.math.BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString() + "s";
    }
}
