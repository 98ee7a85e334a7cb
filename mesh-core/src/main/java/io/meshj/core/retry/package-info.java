/**
 * Retry budgets ({@link io.meshj.core.retry.RetryBudget}) that keep retries a bounded fraction of
 * traffic, and jittered exponential backoff ({@link io.meshj.core.retry.ExponentialBackoff}) for
 * anything that tries again after a delay.
 */
package io.meshj.core.retry;
