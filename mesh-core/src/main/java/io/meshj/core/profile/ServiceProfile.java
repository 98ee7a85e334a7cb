package io.meshj.core.profile;

import static java.util.Objects.requireNonNull;

import io.meshj.core.retry.RetryBudget;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The routes of one service and its retry budget. {@link #route} returns the first route whose
 * condition matches a request, or the {@linkplain #defaultRoute() default route} (no timeout, not
 * retryable, 5xx are failures) when none does — so every request has exactly one route.
 *
 * <p>Build one with {@link #builder}, or parse the {@code ServiceProfile} resource with
 * {@link ServiceProfileParser}. Immutable.
 */
public final class ServiceProfile {

    /** The name of the route that takes requests no declared route matches. */
    public static final String DEFAULT_ROUTE_NAME = "[DEFAULT]";

    private static final Route DEFAULT_ROUTE = Route.builder(DEFAULT_ROUTE_NAME).timeout(null).build();

    private final String name;
    private final Route[] routes;
    private final RetryBudget.Spec retryBudget;

    private ServiceProfile(Builder b) {
        this.name = b.name;
        this.routes = b.routes.toArray(new Route[0]);
        this.retryBudget = b.retryBudget;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A profile with no routes: every request takes the default route. */
    public static ServiceProfile empty(String name) {
        return builder(name).build();
    }

    /** The service's fully-qualified name, e.g. {@code web-svc.emojivoto.svc.cluster.local}. */
    public String name() {
        return name;
    }

    public List<Route> routes() {
        return List.of(routes);
    }

    public RetryBudget.Spec retryBudget() {
        return retryBudget;
    }

    /** The route for a request: the first declared route that matches, else the default route. */
    public Route route(String method, String path) {
        for (Route r : routes) {
            if (r.matches(method, path)) {
                return r;
            }
        }
        return DEFAULT_ROUTE;
    }

    /** The route of requests no declared route matches. */
    public static Route defaultRoute() {
        return DEFAULT_ROUTE;
    }

    @Override
    public String toString() {
        return "ServiceProfile{" + name + ", routes=" + List.of(routes) + "}";
    }

    /** Builds a {@link ServiceProfile}. */
    public static final class Builder {
        private final String name;
        private final List<Route> routes = new ArrayList<>();
        private final Set<String> routeNames = new HashSet<>();
        private RetryBudget.Spec retryBudget = RetryBudget.Spec.DEFAULT;

        private Builder(String name) {
            this.name = requireNonNull(name, "name");
        }

        /** Adds a route; routes are matched in the order added. Names must be unique. */
        public Builder route(Route route) {
            requireNonNull(route, "route");
            if (!routeNames.add(route.name())) {
                throw new IllegalArgumentException("duplicate route name \"" + route.name() + "\"");
            }
            routes.add(route);
            return this;
        }

        public Builder retryBudget(RetryBudget.Spec retryBudget) {
            this.retryBudget = requireNonNull(retryBudget, "retryBudget");
            return this;
        }

        public ServiceProfile build() {
            return new ServiceProfile(this);
        }
    }
}
