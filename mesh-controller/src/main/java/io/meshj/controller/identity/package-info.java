/** The identity service: certifies workloads' keys for the identities their tokens prove. */
package io.meshj.controller.identity;
