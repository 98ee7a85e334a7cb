/** The controller's tap broker: one tap of a resource, fanned out to its workloads' tap servers. */
package io.meshj.controller.tap;
