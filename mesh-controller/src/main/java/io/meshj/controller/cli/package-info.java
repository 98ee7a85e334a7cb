/** The {@code meshj} command line (picocli), started by {@code bin/meshj}. */
package io.meshj.controller.cli;
