/**
 * Implementation details of mesh-core. Not API: anything here may change without notice, and no other
 * module may use it.
 */
package io.meshj.core.internal;
