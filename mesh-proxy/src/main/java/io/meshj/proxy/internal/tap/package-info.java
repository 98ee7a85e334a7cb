/** The proxy's tap server (port 4190): the tap API over the proxy's own {@link io.meshj.core.tap.TapBus}. */
package io.meshj.proxy.internal.tap;
