/**
 * meshj's routing core: what every other module builds on, with no networking of its own.
 *
 * <ul>
 *   <li>{@link io.meshj.core.name} — authorities ({@code svc.ns:8080}) and their normalisation;</li>
 *   <li>{@link io.meshj.core.endpoint} — endpoints and the updates discovery sends about them;</li>
 *   <li>{@link io.meshj.core.discovery} — the discovery SPI, a static-file source and the cache of
 *       active resolutions;</li>
 *   <li>{@link io.meshj.core.balance} — power-of-two-choices over peak-EWMA load, with failure accrual;</li>
 *   <li>{@link io.meshj.core.retry} — retry budgets and exponential backoff;</li>
 *   <li>{@link io.meshj.core.profile} — service profiles: routes, response classes, timeouts.</li>
 * </ul>
 *
 * <p>Nothing in this module blocks, and every algorithm takes its clock ({@link io.meshj.core.time.Ticker})
 * and randomness ({@link java.util.random.RandomGenerator}) as parameters so tests can drive them.
 * Types in {@code io.meshj.core.internal} are not API.
 */
package io.meshj.core;
