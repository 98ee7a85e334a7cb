#!/usr/bin/env bash
# The embedded mode's overhead: one unary gRPC method (PAYLOAD bytes each way) called at RATE calls per
# second, open-loop, over plain gRPC-Java with mutual TLS 1.3, then from an embedded Mesh's channel to
# a MeshServer (discovery through a local controller, P2C, mTLS, metrics and tap). Each variant runs
# in its own JVM with the same flags, client and server in that JVM, back to back in one run of this
# script; each warms up for WARMUP seconds, then measures for MEASURE seconds. Reports latency from
# each call's due time (p50 to max), CPU and allocation per call, the live heap after full
# collections with everything still open, and RSS; then the embedded variant's additions.
#
#   bench/embedded.sh                          # build, run (about 3½ minutes), print the table
#   bench/embedded.sh --append                 # ... and append it to BENCHMARKS.md
#   RATE=2000 MEASURE=30 bench/embedded.sh
#
# Needs python3 (free ports). Everything runs on this machine's cores, and whatever else runs there
# shows in every latency (the table gives the load average as each variant started); the controller
# is up, and idle, during both variants. Never part of the test suite.
set -euo pipefail
root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
append=0
if [ "${1:-}" = "--append" ]; then append=1; fi
RATE=${RATE:-1000}
WARMUP=${WARMUP:-30}
MEASURE=${MEASURE:-45}
PAYLOAD=${PAYLOAD:-1024}
# The same for both variants: a heap cap well above what either keeps, and one collector whose full
# collections leave only live objects behind.
JVM_OPTS=${JVM_OPTS:--XX:+UseSerialGC -Xmx256m}

echo "building..." >&2
./mvnw -o -B -q -pl mesh-controller,bench -am package -DskipTests

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
dst=127.0.0.1:$(free_port)
id=127.0.0.1:$(free_port)
bin/meshj controller --local --data-dir "$work/home" --destination-listen "$dst" --identity-listen "$id" \
  >"$work/controller.log" 2>&1 &
pids+=($!) # bin/meshj execs java: this is the controller's JVM
for _ in $(seq 1 300); do
  grep -q "meshj controller ready" "$work/controller.log" && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/controller.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "meshj controller ready" "$work/controller.log" || { echo "the controller did not start" >&2; exit 1; }
bin/meshj identity token --sa server -n bench --data-dir "$work/home" >"$work/server.token"
bin/meshj identity token --sa client -n bench --data-dir "$work/home" >"$work/client.token"

java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jar=$(ls bench/target/mesh-bench-*.jar | head -n1)
run() { # variant, extra args...
  local variant=$1
  shift
  echo "running $variant: $RATE calls/s, ${WARMUP}s warm-up, ${MEASURE}s measured..." >&2
  echo "load_avg_at_start $(cut -d' ' -f1 /proc/loadavg)" >"$work/$variant.txt"
  # shellcheck disable=SC2086 # an option list on purpose
  "$java" $JVM_OPTS -cp "$jar:bench/target/lib/*" io.meshj.bench.EmbeddedOverhead "$variant" "$RATE" "$WARMUP" \
    "$MEASURE" "$PAYLOAD" "$@" >>"$work/$variant.txt" 2>"$work/$variant.log" &
  pids+=($!)
  wait $! || { echo "the $variant variant failed:" >&2; cat "$work/$variant.log" >&2; exit 1; }
}
run plain
run embedded "$dst" "$id" "$work/home/identity/trust-anchor.pem" "$work/server.token" "$work/client.token"

val() { awk -v k="$2" '$1 == k {print $2}' "$work/$1.txt"; }
# embedded minus plain, with a sign
added() { awk -v a="$(val embedded "$1")" -v b="$(val plain "$1")" -v f="${2:-%.1f}" 'BEGIN {printf "%+" substr(f, 2), a - b}'; }
verdict() { awk -v x="$1" -v t="$2" 'BEGIN {print (x <= t) ? "**met**" : "**missed**"}'; }
row() { # label, key, [target]
  echo "| $1 | $(val plain "$2") | $(val embedded "$2") | $(added "$2") | ${3:-} |"
}
p50=$(added p50_us)
p99=$(added p99_us)
heap=$(added heap_after_load_mb %.2f)

table=$(cat <<EOT
| per call, at $RATE calls/s | plain gRPC + mTLS | embedded mesh | added | target |
|---|---:|---:|---:|---|
$(row "latency p50 (µs)" p50_us "≤ 50 µs added: $(verdict "$p50" 50)")
$(row "latency p90 (µs)" p90_us)
$(row "latency p99 (µs)" p99_us "(added p99 reported, no target)")
$(row "latency p99.9 (µs)" p999_us)
$(row "latency max (µs)" max_us)
$(row "latency mean (µs)" mean_us)
$(row "CPU of the JVM per call, client + server (µs)" cpu_us_per_call)
$(row "allocated per call, client + server (KB)" alloc_kb_per_call)
$(row "sender lateness p99 (µs)" send_lag_p99_us)
| machine load average (1 min) as the variant started | $(val plain load_avg_at_start) | $(val embedded load_avg_at_start) | | |
| calls measured / failed / unfinished | $(val plain calls) / $(val plain errors) / $(val plain unfinished) | $(val embedded calls) / $(val embedded errors) / $(val embedded unfinished) | | |
| collections in the window (count / ms) | $(val plain gcs) / $(val plain gc_ms) | $(val embedded gcs) / $(val embedded gc_ms) | | |
| live heap after setup, after full GCs (MB) | $(val plain heap_after_setup_mb) | $(val embedded heap_after_setup_mb) | $(added heap_after_setup_mb %.2f) | |
| live heap after the load, after full GCs (MB) | $(val plain heap_after_load_mb) | $(val embedded heap_after_load_mb) | $heap | ≤ 10 MB extra: $(verdict "$heap" 10) |
| RSS after the load / peak (MB) | $(val plain rss_mb) / $(val plain rss_peak_mb) | $(val embedded rss_mb) / $(val embedded rss_peak_mb) | $(added rss_mb) / $(added rss_peak_mb) | |
EOT
)
header="$(nproc) cores, $($java -version 2>&1 | head -1), TLS provider $(val plain tls_provider); $PAYLOAD-byte request and response, ${WARMUP}s warm-up, ${MEASURE}s measured per variant; JVM: $JVM_OPTS"
echo
echo "$header"
echo
echo "$table"

if [ $append -eq 1 ]; then
  {
    echo
    echo "### bench/embedded.sh — $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ":!BENCHMARKS.md" || echo " with uncommitted changes")"
    echo
    echo "$header"
    echo
    echo "$table"
  } >> BENCHMARKS.md
  echo "appended to BENCHMARKS.md" >&2
fi
