/**
 * Names of services as clients write them: {@link io.meshj.core.name.Authority} parses and validates
 * {@code host[:port]} strings, and {@link io.meshj.core.name.AuthorityNormalizer} turns the short forms
 * of a cluster-local service name ({@code svc}, {@code svc.ns}) into the one fully-qualified form that
 * discovery is keyed by.
 */
package io.meshj.core.name;
