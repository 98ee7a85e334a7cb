/** Injectable time: every algorithm in meshj reads the clock through {@link io.meshj.core.time.Ticker}. */
package io.meshj.core.time;
