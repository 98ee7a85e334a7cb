/**
 * The destination service: serves the Destination API ({@code io.meshj.api.destination.v1}) from a
 * discovery backend — which endpoints stand behind a name, who they are and how to talk to them — as
 * long-lived streams of changes.
 */
package io.meshj.controller.destination;
