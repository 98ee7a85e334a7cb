/** {@code meshj install}: the control plane's Kubernetes manifests, generated with their certificates. */
package io.meshj.controller.install;
