#!/usr/bin/env bash
# The controller's scale benchmark: a `meshj controller --local` process, 10,000 endpoints registered
# across 100 services through the registry API, 500 watch streams (each on its own connection, like
# 500 proxies, 5 per service), then 200 registrations and 200 deregistrations made one at a time,
# timing each from the RPC to every watcher of its service seeing it. Reports update propagation
# p50/p99 and the controller's RSS (after the run, and its peak).
#
#   bench/controller.sh               # build, run (about a minute), print the table, append it to BENCHMARKS.md
#   WATCHES=100 bench/controller.sh --no-append
#
# Needs python3 (a free port). Everything runs on this machine's cores, clients included.
set -euo pipefail
root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
append=1
if [ "${1:-}" = "--no-append" ]; then append=0; fi
SERVICES=${SERVICES:-100}
ENDPOINTS=${ENDPOINTS:-10000}
WATCHES=${WATCHES:-500}
CHANGES=${CHANGES:-200}

echo "building..." >&2
./mvnw -B -q -pl mesh-controller,bench -am package -DskipTests

work=$(mktemp -d)
ctl=""
cleanup() {
  if [ -n "$ctl" ]; then kill "$ctl" 2>/dev/null || true; wait "$ctl" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bin/meshj controller --local --data-dir "$work/home" --destination-listen "127.0.0.1:$port" --identity-listen 127.0.0.1:0 >"$work/controller.log" 2>&1 &
ctl=$! # bin/meshj execs java: this is the controller's JVM
for _ in $(seq 1 300); do
  grep -q "meshj controller ready" "$work/controller.log" && break
  kill -0 "$ctl" 2>/dev/null || { cat "$work/controller.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "meshj controller ready" "$work/controller.log" || { echo "the controller did not start" >&2; exit 1; }

token=$(bin/meshj identity token --sa bench -n bench --data-dir "$work/home")
echo "running: $ENDPOINTS endpoints, $SERVICES services, $WATCHES watches, $CHANGES changes each way..." >&2
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jar=$(ls bench/target/mesh-bench-*.jar | head -n1)
"$java" -cp "$jar:bench/target/lib/*" io.meshj.bench.ControllerScale 127.0.0.1 "$port" \
  "$SERVICES" "$ENDPOINTS" "$WATCHES" "$CHANGES" "$token" >"$work/result.txt"

val() { awk -v k="$1" '$1 == k {print $2}' "$work/result.txt"; }
rss_mb() { awk -v f="$1" '$1 == f":" {printf "%.1f", $2/1024}' "/proc/$ctl/status"; }

table=$(cat <<EOT
| measure | value | target |
|---|---:|---|
| update propagation p50, registration → every watcher (ms) | $(val add_p50_ms) | |
| update propagation p99, registration → every watcher (ms) | $(val add_p99_ms) | ≤ 500 |
| update propagation p50 / p99, deregistration (ms) | $(val remove_p50_ms) / $(val remove_p99_ms) | ≤ 500 (p99) |
| slowest propagation seen (ms) | $(val add_max_ms) / $(val remove_max_ms) | |
| samples (changes × watchers of the service) | $(val add_samples) + $(val remove_samples) | |
| registering the $ENDPOINTS endpoints, one RPC at a time (s) | $(val register_endpoints_seconds) | |
| $WATCHES watches open and whole (s) | $(val initial_sync_seconds) | |
| controller RSS after the run / peak (MB) | $(rss_mb VmRSS) / $(rss_mb VmHWM) | ≤ 256 |
EOT
)
echo
echo "$table"

if [ $append -eq 1 ]; then
  {
    echo
    echo "### bench/controller.sh — $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ":!BENCHMARKS.md" || echo " with uncommitted changes")"
    echo
    echo "$(nproc) cores, $($java -version 2>&1 | head -1); $ENDPOINTS endpoints in $SERVICES services, $WATCHES watch streams, $CHANGES changes each way; controller JVM: bin/meshj's defaults."
    echo
    echo "$table"
  } >> BENCHMARKS.md
  echo "appended to BENCHMARKS.md" >&2
fi
