/**
 * Load balancing: {@link io.meshj.core.balance.P2cBalancer} picks an endpoint by the power of two
 * choices over peak-EWMA load, honours endpoint weights, and skips endpoints that failure accrual has
 * marked as failing.
 */
package io.meshj.core.balance;
