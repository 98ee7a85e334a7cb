/** The Kubernetes backend of the control plane: fabric8 informers over the cluster's objects. */
package io.meshj.controller.kubernetes;
