/**
 * meshj's benchmarks: JMH benchmarks of the hot paths ({@code bench/jmh.sh}) and the programs that
 * {@code bench/controller.sh} and {@code bench/embedded.sh} run. None is part of the test suite.
 */
package io.meshj.bench;
