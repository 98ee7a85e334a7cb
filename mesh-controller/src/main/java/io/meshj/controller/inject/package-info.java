/**
 * Sidecar injection: adding the meshj proxy (and the init container that redirects a pod's traffic
 * through it) to Kubernetes workloads, and taking it out again. Shared by {@code meshj inject},
 * {@code meshj uninject} and the controller's admission webhook, so all three produce the same pods.
 */
package io.meshj.controller.inject;
