/**
 * The meshj control plane — destination, identity, tap broker, injector webhook, metrics API — on
 * Kubernetes or on the local registry, and the {@code meshj} command line.
 *
 * <p>The control-plane services arrive with their issues; see {@code ../shared/design.md}.
 */
package io.meshj.controller;
