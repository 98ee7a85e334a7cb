/**
 * Implementation of the data plane. Not API: anything here may change without notice, and no other
 * module may use it.
 */
package io.meshj.proxy.internal;
