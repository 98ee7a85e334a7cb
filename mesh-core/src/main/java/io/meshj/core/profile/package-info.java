/**
 * Service profiles: per-service routes (matched on method and path), how each route's responses are
 * classified, whether its requests may be retried, its timeout, and the service's retry budget. The
 * model follows Linkerd's {@code ServiceProfile} resource, so existing profiles translate field for field.
 */
package io.meshj.core.profile;
