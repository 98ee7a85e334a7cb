/**
 * The controller's metrics API: it scrapes the proxies it knows and answers {@code meshj stat} from a
 * short window of scrapes, without a Prometheus server.
 */
package io.meshj.controller.metrics;
