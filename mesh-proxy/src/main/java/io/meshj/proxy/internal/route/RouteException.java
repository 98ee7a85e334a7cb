package io.meshj.proxy.internal.route;

import io.meshj.proxy.internal.ProxyError;

/** Routing failed; the request is answered with {@link #error()}. Carries no stack trace. */
public final class RouteException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient ProxyError error;

    public RouteException(ProxyError error, String detail) {
        super(detail, null, false, false);
        this.error = error;
    }

    public ProxyError error() {
        return error;
    }
}
