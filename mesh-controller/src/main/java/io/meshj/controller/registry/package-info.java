/**
 * The local registry: endpoints that workloads register themselves, kept by leases and persisted
 * under the controller's data directory — the backend of the local (non-Kubernetes) mode.
 */
package io.meshj.controller.registry;
