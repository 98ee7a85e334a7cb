/** The proxy's side of the controller's local registry: keeping its application registered. */
package io.meshj.proxy.internal.registry;
