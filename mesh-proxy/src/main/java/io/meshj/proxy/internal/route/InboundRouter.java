package io.meshj.proxy.internal.route;

import io.meshj.core.name.Authority;
import io.meshj.proxy.internal.ProxyError;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Inbound traffic goes to the application on 127.0.0.1, at the first of these that applies:
 * <ol>
 *   <li>the endpoint port a peer proxy named, when it is an application port;
 *   <li>the port of the connection's original destination (the pod port iptables redirected it from),
 *       when it is an application port or no application ports are configured — Linkerd's proxy
 *       likewise forwards intercepted inbound traffic to the original port on localhost;
 *   <li>the port of the request's authority, when it is an application port;
 *   <li>the first application port.
 * </ol>
 * With application ports configured only those are ever dialed, whatever a request claims; without
 * any, only a redirected connection has somewhere to go.
 */
public final class InboundRouter implements Router {

    private final List<Integer> appPorts;
    /** The target of each application port, made once: routing runs for every request. */
    private final Map<Integer, Target> targets = new HashMap<>();

    public InboundRouter(List<Integer> appPorts) {
        this.appPorts = List.copyOf(appPorts);
        for (int port : appPorts) {
            targets.put(port, local(port));
        }
    }

    @Override
    public Future<Target> route(Authority authority, Authority endpointHint, Authority originalDestination, EventLoop loop) {
        if (endpointHint != null && endpointHint.hasPort() && appPorts.contains(endpointHint.port())) {
            return loop.newSucceededFuture(targets.get(endpointHint.port()));
        }
        if (originalDestination != null) {
            int port = originalDestination.port();
            if (appPorts.contains(port)) {
                return loop.newSucceededFuture(targets.get(port));
            }
            if (appPorts.isEmpty()) {
                return loop.newSucceededFuture(local(port));
            }
        }
        if (appPorts.isEmpty()) {
            return loop.newFailedFuture(new RouteException(ProxyError.NO_APP_PORT, "set --app-ports"));
        }
        int port = appPorts.get(0);
        if (authority != null && authority.hasPort() && appPorts.contains(authority.port())) {
            port = authority.port();
        }
        return loop.newSucceededFuture(targets.get(port));
    }

    private static Target local(int port) {
        return Target.direct(Authority.of("127.0.0.1", port));
    }
}
