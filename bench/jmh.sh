#!/usr/bin/env bash
# Runs meshj's JMH benchmarks and prints JMH's result table.
#
#   bench/jmh.sh                         # every benchmark, default settings (about 2 minutes)
#   bench/jmh.sh BalancerPick            # those whose name matches a regex
#   bench/jmh.sh RouteMatch -prof gc     # any JMH option after the pattern (here: allocation rate)
#
# Benchmarks are never part of the test suite; BENCHMARKS.md records their results.
set -euo pipefail
root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
./mvnw -B -q -pl bench -am package -DskipTests
jar=$(ls bench/target/mesh-bench-*.jar | head -n1)
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
exec "$java" -cp "$jar:bench/target/lib/*" org.openjdk.jmh.Main "${@:-.*}"
