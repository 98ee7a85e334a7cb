package io.meshj.proxy.internal.route;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.http.ProxyError;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.List;

/**
 * Inbound traffic goes to the application on 127.0.0.1: to the endpoint port a peer proxy named, or
 * else the port of the request's authority, when the application listens there; otherwise to its first
 * port. Only configured application ports are ever dialed, whatever a request claims.
 */
public final class InboundRouter implements Router {

    private final List<Integer> appPorts;
    /** The target of each application port, made once: routing runs for every request. */
    private final java.util.Map<Integer, Target> targets = new java.util.HashMap<>();

    public InboundRouter(List<Integer> appPorts) {
        this.appPorts = List.copyOf(appPorts);
        for (int port : appPorts) {
            targets.put(port, Target.direct(Authority.of("127.0.0.1", port)));
        }
    }

    @Override
    public Future<Target> route(Authority authority, Authority endpointHint, EventLoop loop) {
        if (appPorts.isEmpty()) {
            return loop.newFailedFuture(new RouteException(ProxyError.NO_APP_PORT, "set --app-ports"));
        }
        int port = appPorts.get(0);
        if (endpointHint != null && endpointHint.hasPort() && appPorts.contains(endpointHint.port())) {
            port = endpointHint.port();
        } else if (authority != null && authority.hasPort() && appPorts.contains(authority.port())) {
            port = authority.port();
        }
        return loop.newSucceededFuture(targets.get(port));
    }
}
