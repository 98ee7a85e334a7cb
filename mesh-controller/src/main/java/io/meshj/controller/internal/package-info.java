/** Helpers of the controller's backends; not for use outside this module. */
package io.meshj.controller.internal;
