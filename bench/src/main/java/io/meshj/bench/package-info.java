/** JMH benchmarks for meshj's hot paths; run with {@code bench/jmh.sh}. */
package io.meshj.bench;
