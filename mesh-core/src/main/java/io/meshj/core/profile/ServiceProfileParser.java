package io.meshj.core.profile;

import static java.util.Objects.requireNonNull;

import io.meshj.core.ConfigException;
import io.meshj.core.internal.YamlNode;
import io.meshj.core.name.Authority;
import io.meshj.core.name.InvalidAuthorityException;
import io.meshj.core.retry.RetryBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * Reads the {@code ServiceProfile} resource ({@code meshj.io/v1alpha1}; Linkerd's
 * {@code linkerd.io/v1alpha2} is accepted too, since the schema is the same):
 *
 * <pre>
 * apiVersion: meshj.io/v1alpha1
 * kind: ServiceProfile
 * metadata:
 *   name: web-svc.emojivoto.svc.cluster.local
 *   namespace: emojivoto
 * spec:
 *   routes:
 *   - name: POST /api/vote
 *     condition: {method: POST, pathRegex: /api/vote}
 *     responseClasses:
 *     - condition: {status: {min: 500, max: 599}}
 *       isFailure: true
 *     isRetryable: true
 *     timeout: 300ms
 *   retryBudget: {retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s}
 * </pre>
 *
 * <p>Validation is strict and every rejection names the field and line
 * ({@code profile.yml:9: spec.routes[0].condition.pathRegex: invalid regular expression ...}): unknown
 * fields, empty conditions, invalid regular expressions, status ranges outside 100–599, duplicate
 * route names, non-positive timeouts and out-of-range budgets.
 */
public final class ServiceProfileParser {

    private static final Set<String> API_VERSIONS = Set.of("meshj.io/v1alpha1", "linkerd.io/v1alpha2");
    private static final Set<String> ROOT = Set.of("apiVersion", "kind", "metadata", "spec");
    private static final Set<String> SPEC = Set.of("routes", "retryBudget");
    private static final Set<String> ROUTE = Set.of("name", "condition", "responseClasses", "isRetryable", "timeout");
    private static final Set<String> REQUEST_MATCH = Set.of("method", "pathRegex", "all", "any", "not");
    private static final Set<String> RESPONSE_CLASS = Set.of("condition", "isFailure");
    private static final Set<String> RESPONSE_MATCH = Set.of("status", "all", "any", "not");
    private static final Set<String> STATUS = Set.of("min", "max");
    private static final Set<String> BUDGET = Set.of("retryRatio", "minRetriesPerSecond", "ttl");

    private ServiceProfileParser() {
    }

    /**
     * Parses one {@code ServiceProfile} document.
     *
     * @param source the file name (or other origin) used in error messages
     * @throws ConfigException naming the first invalid field and its line
     */
    public static ServiceProfile parse(String source, String yaml) {
        requireNonNull(source, "source");
        requireNonNull(yaml, "yaml");
        YamlNode root = YamlNode.parse(source, yaml);
        if (root.isNull()) {
            throw root.error("empty document, expected a ServiceProfile");
        }
        root.allowOnly(ROOT);
        YamlNode apiVersion = root.required("apiVersion");
        if (!API_VERSIONS.contains(apiVersion.asString())) {
            throw apiVersion.error("\"" + apiVersion.asString() + "\" is not a supported apiVersion (meshj.io/v1alpha1)");
        }
        YamlNode kind = root.required("kind");
        if (!kind.asString().equals("ServiceProfile")) {
            throw kind.error("expected kind ServiceProfile, found \"" + kind.asString() + "\"");
        }
        YamlNode nameNode = root.required("metadata").required("name");
        String name = nameNode.asNonEmptyString();
        try {
            Authority.parse(name);
        } catch (InvalidAuthorityException e) {
            throw nameNode.error(e.getMessage());
        }

        YamlNode spec = root.field("spec").allowOnly(SPEC);
        ServiceProfile.Builder profile = ServiceProfile.builder(name);
        Map<String, YamlNode> routeNames = new HashMap<>();
        for (YamlNode routeNode : spec.field("routes").items()) {
            Route route = route(routeNode);
            YamlNode earlier = routeNames.putIfAbsent(route.name(), routeNode);
            if (earlier != null) {
                throw routeNode.field("name").error("duplicate route name \"" + route.name() + "\" (first at "
                        + earlier.path() + ", line " + earlier.line() + ")");
            }
            profile.route(route);
        }
        YamlNode budget = spec.field("retryBudget");
        if (!budget.isNull()) {
            profile.retryBudget(retryBudget(budget));
        }
        return profile.build();
    }

    private static Route route(YamlNode node) {
        node.allowOnly(ROUTE);
        Route.Builder b = Route.builder(node.required("name").asNonEmptyString())
                .condition(requestMatch(node.required("condition")));
        for (YamlNode rc : node.field("responseClasses").items()) {
            rc.allowOnly(RESPONSE_CLASS);
            YamlNode isFailure = rc.field("isFailure");
            b.responseClass(new ResponseClass(responseMatch(rc.required("condition")),
                    !isFailure.isNull() && isFailure.asBoolean()));
        }
        YamlNode retryable = node.field("isRetryable");
        b.retryable(!retryable.isNull() && retryable.asBoolean());
        YamlNode timeout = node.field("timeout");
        if (!timeout.isNull()) {
            Duration d = timeout.asDuration();
            if (d.isZero()) {
                throw timeout.error("timeout must be positive");
            }
            b.timeout(d);
        }
        return b.build();
    }

    private static RequestMatch requestMatch(YamlNode node) {
        node.allowOnly(REQUEST_MATCH);
        List<RequestMatch> all = new ArrayList<>();
        YamlNode method = node.field("method");
        if (!method.isNull()) {
            String m = method.asNonEmptyString();
            if (!m.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
                throw method.error("\"" + m + "\" is not an HTTP method token");
            }
            all.add(new RequestMatch.Method(m));
        }
        YamlNode pathRegex = node.field("pathRegex");
        if (!pathRegex.isNull()) {
            try {
                all.add(new RequestMatch.PathRegex(Pattern.compile(pathRegex.asString())));
            } catch (PatternSyntaxException e) {
                // RE2 syntax, as Linkerd's (Rust) regexes: no backreferences or lookaround, linear-time matching.
                throw pathRegex.error("invalid regular expression: " + e.getDescription() + " in \"" + e.getPattern() + "\"");
            }
        }
        YamlNode allNode = node.field("all");
        if (!allNode.isNull()) {
            all.add(new RequestMatch.All(conditions(allNode, ServiceProfileParser::requestMatch)));
        }
        YamlNode anyNode = node.field("any");
        if (!anyNode.isNull()) {
            all.add(new RequestMatch.Any(conditions(anyNode, ServiceProfileParser::requestMatch)));
        }
        YamlNode notNode = node.field("not");
        if (!notNode.isNull()) {
            all.add(new RequestMatch.Not(requestMatch(notNode)));
        }
        if (all.isEmpty()) {
            throw node.error("a condition needs at least one of method, pathRegex, all, any, not");
        }
        return all.size() == 1 ? all.get(0) : new RequestMatch.All(all);
    }

    private static ResponseMatch responseMatch(YamlNode node) {
        node.allowOnly(RESPONSE_MATCH);
        List<ResponseMatch> all = new ArrayList<>();
        YamlNode status = node.field("status");
        if (!status.isNull()) {
            status.allowOnly(STATUS);
            YamlNode minNode = status.field("min");
            YamlNode maxNode = status.field("max");
            int min = minNode.isNull() ? 100 : minNode.asInt(100, 599);
            int max = maxNode.isNull() ? 599 : maxNode.asInt(100, 599);
            if (min > max) {
                throw status.error("min " + min + " is greater than max " + max);
            }
            all.add(new ResponseMatch.Status(min, max));
        }
        YamlNode allNode = node.field("all");
        if (!allNode.isNull()) {
            all.add(new ResponseMatch.All(conditions(allNode, ServiceProfileParser::responseMatch)));
        }
        YamlNode anyNode = node.field("any");
        if (!anyNode.isNull()) {
            all.add(new ResponseMatch.Any(conditions(anyNode, ServiceProfileParser::responseMatch)));
        }
        YamlNode notNode = node.field("not");
        if (!notNode.isNull()) {
            all.add(new ResponseMatch.Not(responseMatch(notNode)));
        }
        if (all.isEmpty()) {
            throw node.error("a condition needs at least one of status, all, any, not");
        }
        return all.size() == 1 ? all.get(0) : new ResponseMatch.All(all);
    }

    /** The conditions of an {@code all} or {@code any} list, which must not be empty. */
    private static <T> List<T> conditions(YamlNode list, Function<YamlNode, T> parse) {
        List<YamlNode> items = list.items();
        if (items.isEmpty()) {
            throw list.error("must list at least one condition");
        }
        List<T> conditions = new ArrayList<>(items.size());
        for (YamlNode item : items) {
            conditions.add(parse.apply(item));
        }
        return conditions;
    }

    private static RetryBudget.Spec retryBudget(YamlNode node) {
        node.allowOnly(BUDGET);
        RetryBudget.Spec d = RetryBudget.Spec.DEFAULT;
        YamlNode ratio = node.field("retryRatio");
        YamlNode min = node.field("minRetriesPerSecond");
        YamlNode ttl = node.field("ttl");
        double ratioValue = ratio.isNull() ? d.retryRatio() : ratio.asDouble(0, 1000);
        if (ratioValue > 0 && ratioValue < 0.001) {
            throw ratio.error("must be 0 or at least 0.001");
        }
        Duration ttlValue = ttl.isNull() ? d.ttl() : ttl.asDuration();
        if (ttlValue.compareTo(Duration.ofSeconds(1)) < 0 || ttlValue.compareTo(Duration.ofSeconds(60)) > 0) {
            throw ttl.error("must be between 1s and 60s");
        }
        return new RetryBudget.Spec(
                ratioValue,
                min.isNull() ? d.minRetriesPerSecond() : min.asInt(0, 1_000_000),
                ttlValue);
    }
}
