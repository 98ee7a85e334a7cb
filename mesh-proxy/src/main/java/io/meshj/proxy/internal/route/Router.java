package io.meshj.proxy.internal.route;

import io.meshj.core.name.Authority;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * Decides where a request (by its authority) or a connection goes. Implementations never block: a
 * route that needs discovery to answer first completes later, on {@code loop}.
 */
public interface Router {

    /**
     * Routes one request or connection.
     *
     * @param authority the request's authority, or null when nothing names the destination
     * @param endpointHint the endpoint a peer proxy named (its {@code meshj-dst-addr}), or null
     * @param originalDestination where the connection was headed before iptables redirected it to the
     *     proxy ({@link io.meshj.proxy.internal.transport.OriginalDestination}), or null
     * @return a future that fails with a {@link RouteException} when there is nowhere to go
     */
    Future<Target> route(Authority authority, Authority endpointHint, Authority originalDestination, EventLoop loop);

    /**
     * Routes a request again for a retry after its attempt at {@code failed} failed: as {@link #route},
     * except that a balancer avoids {@code failed}'s endpoint while another may take the request. By
     * default, as {@link #route} (a router without a balancer has one place to send it).
     */
    default Future<Target> reroute(Authority authority, Authority endpointHint, Authority originalDestination,
            Target failed, EventLoop loop) {
        return route(authority, endpointHint, originalDestination, loop);
    }

    /**
     * Whether {@link #reroute} could send the request to another endpoint than {@code failed}'s: its
     * service has another. Never blocks. By default false.
     */
    default boolean hasOtherEndpoint(Authority authority, Authority originalDestination, Target failed) {
        return false;
    }
}
