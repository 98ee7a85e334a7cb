/**
 * Tap: a live view of individual requests. A data plane (the sidecar proxy, or the embedded mesh in an
 * application) reports three {@link io.meshj.core.tap.TapEvent}s per request to a
 * {@link io.meshj.core.tap.TapBus}: its head arrived, its response head went out, its response ended.
 * Subscribers pick requests with a {@link io.meshj.core.tap.TapFilter} and read them from a bounded
 * {@link io.meshj.core.tap.TapSubscription}; {@link io.meshj.core.tap.TapService} serves a bus over
 * gRPC ({@code io.meshj.api.tap.v1.Tap}). The model follows Linkerd's tap: lossy by design, never in
 * the way of the traffic it observes.
 */
package io.meshj.core.tap;
