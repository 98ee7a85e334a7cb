/**
 * Discovery: where the endpoints of a name come from.
 *
 * <p>{@link io.meshj.core.discovery.DiscoverySource} is the SPI every backend implements (the static
 * file in {@link io.meshj.core.discovery.StaticFileDiscovery}; the controller client, Kubernetes and
 * the local registry arrive with the control-plane issue). {@link io.meshj.core.discovery.ResolutionCache}
 * keeps one watch per active name and closes the watches of names nobody has asked for lately.
 */
package io.meshj.core.discovery;
