#!/usr/bin/env bash
# Soak test of the data plane (issue 18): does a meshj sidecar pair hold still under a steady load?
# Memory, threads or file descriptors that creep up, or latency and errors that change over time,
# show here and not in bench/proxy.sh's 10-second measurements. Not run in CI (it takes half an hour).
#
#   bench/soak.sh                                   # build, 1 min warm-up + 30 min at 1,000 RPS
#   bench/soak.sh --duration 5m --out /tmp/soak     # a shorter run elsewhere
#   nohup bench/soak.sh > soak.out 2>&1 &           # in the background; watch <out>/samples.csv grow
#
# Options: --duration D (default 30m; D is N, Ns, Nm or Nh), --warmup D (default 1m), --interval D
# (sampling period, default 10s), --out DIR (default bench/target/soak-<UTC time>), --no-build.
#
# Topology, as bench/proxy.sh's mTLS pair: h2load → client sidecar (outbound) → HTTP/2 with mutual
# TLS 1.3 → server sidecar (inbound) → nginx (h2c, one worker); a local meshj controller certifies
# both proxies. The proxies run with bin/meshj's default JVM; the only addition is a GC log
# (JDK_JAVA_OPTIONS, so the launcher's own options stay as they are).
#
# Load: h2load --rps, 10 HTTP/2 connections × 100 requests/s = 1,000 RPS. h2load schedules by the
# clock: requests a stall held back are owed and sent when a stream frees up, so the rate stays fixed
# (wrk's request rate is whatever the responses allow; wrk2 is not packaged). Up to 10 streams per
# connection, so a stall shows as latency rather than as a lower rate. Latency is measured from the
# moment a request is sent (h2load's per-request log).
#
# Every sample (10 s) records, for each proxy: RSS (VmRSS), heap used after the latest collection
# (from the GC log: exact, and free — jstat or jcmd would start a JVM per sample on a 2-core machine),
# young and full collections so far, OS threads, open fds and CPU seconds; and from the load: requests
# completed since the last sample, those without a 2xx answer, p50 and p99. After the warm-up, and
# again at the end, a full collection is forced (jcmd GC.run) so that the live heap at the two ends
# can be compared without the garbage that young collections promote in between.
#
# Output in <out>: samples.csv, summary.md (also printed to stdout, in the shape of a BENCHMARKS.md
# section), the proxies' logs and GC logs, h2load's output and its per-request log (gzipped).
#
# Needs: h2load (nghttp2-client), nginx, python3, jcmd — installed if missing (apt, as root).
set -euo pipefail
root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds() { # 90, 90s, 5m, 1h → seconds
  case $1 in
    *h) echo $((${1%h} * 3600)) ;;
    *m) echo $((${1%m} * 60)) ;;
    *s) echo $((${1%s})) ;;
    *) echo $(($1)) ;;
  esac
}
duration=1800; warmup=60; interval=10; build=1
out="bench/target/soak-$(date -u +%Y%m%dT%H%MZ)"
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=$(seconds "$2"); shift 2 ;;
    --warmup) warmup=$(seconds "$2"); shift 2 ;;
    --interval) interval=$(seconds "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
  esac
done
rate=1000; clients=10 # h2load's --rps is per connection

need=()
for c in h2load nginx python3 jcmd; do command -v "$c" >/dev/null 2>&1 || need+=("$c"); done
if [ ${#need[@]} -gt 0 ]; then
  pkgs=()
  for c in "${need[@]}"; do
    case $c in h2load) pkgs+=(nghttp2-client) ;; jcmd) pkgs+=(openjdk-17-jdk-headless) ;; *) pkgs+=("$c") ;; esac
  done
  echo "installing ${pkgs[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null
fi

if [ $build -eq 1 ]; then
  echo "building meshj..." >&2
  ./mvnw -B -q package -DskipTests
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/meshj-soak.XXXXXX)
chmod 755 "$work" # nginx's worker (user nobody) serves files from here
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Ports: a range of its own, so that a soak and bench/proxy.sh can share a machine.
NGINX_H2=19081; CTL_DEST=19086; CTL_ID=19087
OUT=19140; OUT_IN=19143; OUT_ADMIN=19191; OUT_TAP=19190
IN=19243; IN_OUT=19240; IN_ADMIN=19291; IN_TAP=19290

# --- nginx: one worker, a small static response over h2c (prior knowledge) ---
mkdir -p "$work/nginx/html"
printf 'hello from nginx\n' > "$work/nginx/html/index.html"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $out/nginx-error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  server { listen 127.0.0.1:$NGINX_H2 http2; root $work/nginx/html; }
}
EOF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)

# --- controller (identity only) and the mTLS proxy pair ---
home="$work/home"
bin/meshj identity init --data-dir "$home" >/dev/null
bin/meshj controller --local --data-dir "$home" --destination-listen 127.0.0.1:$CTL_DEST \
  --identity-listen 127.0.0.1:$CTL_ID > "$out/controller.log" 2>&1 &
pids+=($!)
bin/meshj identity token --sa soak-server --data-dir "$home" > "$work/server.token"
bin/meshj identity token --sa soak-client --data-dir "$home" > "$work/client.token"
cat > "$work/endpoints.yml" <<EOF
services:
  soak.default:80:
    - address: 127.0.0.1:$NGINX_H2
      protocol: h2
      inboundPort: $IN
      identity: soak-server.default.serviceaccount.identity.meshj.cluster.local
EOF
identity_flags() { # client|server
  echo --identity 127.0.0.1:$CTL_ID --identity-token-file "$work/$1.token" \
    --trust-anchors "$home/identity/trust-anchor.pem" --service-account "soak-$1"
}
# shellcheck disable=SC2046 # identity_flags is a word list on purpose
JDK_JAVA_OPTIONS="-Xlog:gc,gc+heap=info:file=$out/gc-in.log" bin/meshj proxy \
  --inbound-listen 127.0.0.1:$IN --outbound-listen 127.0.0.1:$IN_OUT --admin-listen 127.0.0.1:$IN_ADMIN \
  --tap-listen 127.0.0.1:$IN_TAP --app-ports $NGINX_H2 $(identity_flags server) > "$out/proxy-in.log" 2>&1 &
proxy_in=$!; pids+=("$proxy_in")
# shellcheck disable=SC2046
JDK_JAVA_OPTIONS="-Xlog:gc,gc+heap=info:file=$out/gc-out.log" bin/meshj proxy \
  --outbound-listen 127.0.0.1:$OUT --inbound-listen 127.0.0.1:$OUT_IN --admin-listen 127.0.0.1:$OUT_ADMIN \
  --tap-listen 127.0.0.1:$OUT_TAP --discovery-file "$work/endpoints.yml" $(identity_flags client) > "$out/proxy-out.log" 2>&1 &
proxy_out=$!; pids+=("$proxy_out")

ready=0
for _ in $(seq 1 150); do
  if curl -fsS --http2-prior-knowledge -o /dev/null -H "Host: soak" "http://127.0.0.1:$OUT/" 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
[ $ready -eq 1 ] || { echo "the proxy pair does not answer; see $out/proxy-*.log" >&2; exit 1; }

# --- load: runs through warm-up and soak, and a little past the last sample ---
h2load -D $((warmup + duration + 3 * interval)) -c $clients --rps $((rate / clients)) -m 10 -t 1 \
  -H ":authority: soak" --log-file="$out/requests.log" "http://127.0.0.1:$OUT/" > "$out/h2load.txt" 2>&1 &
loadgen=$!; pids+=("$loadgen")

# --- sampling ---
# Heap after the latest collection and the collection counts, from a GC log: "young full after-KB".
# The after value is the sum of the generations' "->NK" in the gc+heap lines of that collection
# (Serial's DefNew/Tenured, Parallel's PSYoungGen/ParOldGen: bin/meshj's default and its alternative).
gc_stats() { # gc-log
  awk '
    /\[gc,heap *\] GC\([0-9]+\) [A-Za-z]+: [0-9]+K\([0-9]+K\)->[0-9]+K/ {
      match($0, /GC\([0-9]+\)/); id = substr($0, RSTART + 3, RLENGTH - 4)
      match($0, /->[0-9]+K/); after[id] += substr($0, RSTART + 2, RLENGTH - 3)
    }
    /\[gc *\] GC\([0-9]+\) Pause Young/ { young++ }
    /\[gc *\] GC\([0-9]+\) Pause Full/ { full++ }
    /\[gc *\] GC\([0-9]+\) Pause/ { match($0, /GC\([0-9]+\)/); last = substr($0, RSTART + 3, RLENGTH - 4) }
    END { printf "%d %d %s\n", young, full, (last == "" ? "" : after[last]) }' "$1"
}
proc_stats() { # pid → "rss-KB threads fds cpu-seconds"
  local fds=("/proc/$1/fd/"*)
  printf '%s %s %.2f\n' "$(awk '/^VmRSS/ {r = $2} /^Threads/ {t = $2} END {print r, t}' "/proc/$1/status")" \
    "${#fds[@]}" "$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat")"
}
# The requests h2load logged since the last call (by completion): "count non-2xx p50-ms p99-ms".
# Each line of its log is "start-µs<TAB>status<TAB>duration-µs"; a failed request's status is -1.
log_offset=0; load_line=""
load_stats() { # sets load_line (not in a subshell: log_offset must carry over)
  local r
  r=$(python3 - "$out/requests.log" "$log_offset" <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as f:
    f.seek(off)
    data = f.read()
end = data.rfind(b"\n") + 1  # a line still being written waits for the next sample
lat, bad = [], 0
for line in data[:end].splitlines():
    _, status, us = line.split(b"\t")
    if not status.startswith(b"2"):
        bad += 1
    lat.append(int(us))
lat.sort()
q = lambda p: f"{lat[min(len(lat) - 1, int(p * len(lat)))] / 1000:.3f}" if lat else ""
print(off + end, len(lat), bad, q(0.50), q(0.99))
PY
)
  log_offset=${r%% *}
  load_line=${r#* }
}
force_gc() { # pid
  jcmd "$1" GC.run >/dev/null
}

alive() { # names of processes that should be running and are not
  local gone=""
  kill -0 "$proxy_out" 2>/dev/null || gone+=" outbound-proxy"
  kill -0 "$proxy_in" 2>/dev/null || gone+=" inbound-proxy"
  kill -0 "$loadgen" 2>/dev/null || gone+=" h2load"
  echo "${gone# }"
}

csv="$out/samples.csv"
echo "time_utc,elapsed_s,phase,out_rss_kb,out_heap_after_gc_kb,out_young_gcs,out_full_gcs,out_threads,out_fds,out_cpu_s,in_rss_kb,in_heap_after_gc_kb,in_young_gcs,in_full_gcs,in_threads,in_fds,in_cpu_s,requests,non_2xx,p50_ms,p99_ms,host_cpu_pct,loadavg_1m" > "$csv"
start=$EPOCHSECONDS
soak_start=$((start + warmup))
end=$((soak_start + duration))
host_busy=0; host_total=0
host_cpu() { # sets host_pct: the whole machine's busy CPU since the last call, % of all cores
  local user nice sys idle iowait irq softirq steal busy total
  read -r _ user nice sys idle iowait irq softirq steal _ < /proc/stat
  busy=$((user + nice + sys + irq + softirq + steal)); total=$((busy + idle + iowait))
  host_pct=""
  [ $host_total -eq 0 ] || host_pct=$(( 100 * (busy - host_busy) / (total - host_total) ))
  host_busy=$busy; host_total=$total
}
host_cpu
sample() { # phase
  local o i g_o g_i l
  read -r -a o <<< "$(proc_stats "$proxy_out")"
  read -r -a i <<< "$(proc_stats "$proxy_in")"
  read -r -a g_o <<< "$(gc_stats "$out/gc-out.log")"
  read -r -a g_i <<< "$(gc_stats "$out/gc-in.log")"
  load_stats; read -r -a l <<< "$load_line"
  host_cpu
  echo "$(date -u +%H:%M:%S),$((EPOCHSECONDS - soak_start)),$1,${o[0]},${g_o[2]:-},${g_o[0]},${g_o[1]},${o[1]},${o[2]},${o[3]},${i[0]},${g_i[2]:-},${g_i[0]},${g_i[1]},${i[1]},${i[2]},${i[3]},${l[0]},${l[1]},${l[2]:-},${l[3]:-},$host_pct,$(cut -d' ' -f1 /proc/loadavg)" >> "$csv"
}
sleep_until() { local d=$(($1 - EPOCHSECONDS)); [ $d -le 0 ] || sleep "$d"; }

echo "warming up for ${warmup}s at $rate RPS; samples in $csv" >&2
stopped=""
next=$((start + interval))
while [ "$next" -lt "$soak_start" ]; do
  sleep_until "$next"; sample warmup; next=$((next + interval))
  stopped=$(alive); [ -z "$stopped" ] || break
done
if [ -z "$stopped" ]; then
  sleep_until "$soak_start"
  force_gc "$proxy_out"; force_gc "$proxy_in"
  live_start_out=$(gc_stats "$out/gc-out.log"); live_start_in=$(gc_stats "$out/gc-in.log")
  # The soak window opens once the forced collections (and jcmd's own JVMs) are done.
  soak_start=$EPOCHSECONDS; end=$((soak_start + duration))
  echo "soaking for ${duration}s" >&2
  sample soak # elapsed 0: the start values
  next=$((soak_start + interval))
  while [ "$next" -le "$end" ]; do
    sleep_until "$next"; sample soak; next=$((next + interval))
    stopped=$(alive); [ -z "$stopped" ] || break
  done
fi
live_end_out=""; live_end_in=""
if [ -z "$stopped" ]; then
  force_gc "$proxy_out"; force_gc "$proxy_in"
  live_end_out=$(gc_stats "$out/gc-out.log"); live_end_in=$(gc_stats "$out/gc-in.log")
  wait "$loadgen" || true
else
  echo "stopped early: $stopped is not running" >&2
fi
kill "$loadgen" 2>/dev/null || true

# --- summary ---
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ":!BENCHMARKS.md" || commit+=" with uncommitted changes"
python3 - "$csv" "$out/requests.log" "$out/h2load.txt" "$soak_start" "$duration" "$interval" "$rate" \
  "${live_start_out:-}" "${live_end_out:-}" "${live_start_in:-}" "${live_end_in:-}" "$stopped" "$commit" \
  "$(nproc)" "$(java -version 2>&1 | head -1)" "$0" <<'PY' | tee "$out/summary.md"
import csv, re, sys, time
(csv_path, log_path, h2load_path, soak_start, duration, interval, rate,
 live_so, live_eo, live_si, live_ei, stopped, commit, cores, java, script) = sys.argv[1:]
soak_start, duration, interval, rate = int(soak_start), int(duration), int(interval), int(rate)

rows = [r for r in csv.DictReader(open(csv_path)) if r["phase"] == "soak"]
t = [int(r["elapsed_s"]) for r in rows]

def series(col, scale=1024.0):
    return [float(r[col]) / scale for r in rows if r[col] != ""], [int(r["elapsed_s"]) for r in rows if r[col] != ""]

def slope_per_10min(ys, xs):  # least squares
    n = len(xs)
    if n < 2:
        return float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return 600 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else float("nan")

def start_end_max(col, scale=1024.0, fmt="{:.1f}"):
    ys, _ = series(col, scale)
    return " / ".join(fmt.format(v) for v in (ys[0], ys[-1], max(ys))) if ys else "n/a"

def drift(col):
    ys, xs = series(col)
    return f"{slope_per_10min(ys, xs):+.2f}"

def live(before, after):  # "young full after-KB" of the forced collection at each end
    kb = lambda s: float(s.split()[2]) / 1024 if s and len(s.split()) == 3 else None
    b, a = kb(before), kb(after)
    return f"{b:.1f} → {a:.1f}" if b is not None and a is not None else (f"{b:.1f} → n/a" if b is not None else "n/a")

def cpu(p):
    ys, xs = series(f"{p}_cpu_s", 1.0)
    return f"{100 * (ys[-1] - ys[0]) / (xs[-1] - xs[0]):.0f}" if len(ys) > 1 and xs[-1] > xs[0] else "n/a"

def gcs(p):
    y, f = series(f"{p}_young_gcs", 1.0)[0], series(f"{p}_full_gcs", 1.0)[0]
    return f"{y[-1] - y[0]:.0f} / {f[-1] - f[0]:.0f}" if y and f else "n/a"

# Load: every request h2load logged whose start falls in the soak window.
lo, hi = soak_start * 1_000_000, (soak_start + duration) * 1_000_000
lat, bad = [], 0
with open(log_path, "rb") as f:
    for line in f:
        start_us, status, us = line.split(b"\t")
        if lo <= int(start_us) < hi:
            lat.append(int(us))
            if not status.startswith(b"2"):
                bad += 1
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1000 if lat else float("nan")
h2 = open(h2load_path).read()
m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", h2)
h2_failed = f"{int(m.group(5))} failed, {int(m.group(6))} errored, {int(m.group(7))} timed out" if m else "no summary (stopped)"
worst = max(((float(r["p99_ms"]), int(r["elapsed_s"])) for r in rows if r["p99_ms"]), default=(float("nan"), 0))

soaked = (t[-1] if t else 0)
span = f"{duration // 60} min" if duration % 60 == 0 else f"{duration} s"
print(f"### bench/soak.sh — {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime(soak_start))}, commit {commit}")
print()
print(f"{cores} cores, {java}; mutual TLS 1.3 between the proxies; h2load at {rate:,} RPS "
      f"({10} connections × {rate // 10} req/s, up to 10 streams each) for {span} after the warm-up, "
      f"a sample every {interval} s ({len(rows)} samples, the first at the end of the warm-up); "
      f"drift = least-squares slope over the samples.")
busy = [int(r["host_cpu_pct"]) for r in rows if r["host_cpu_pct"]]
if busy:
    print()
    print(f"The machine's CPU, all processes (the pair, nginx, the controller, h2load, and whatever else ran): "
          f"busy {sum(busy) / len(busy):.0f} % of {cores} cores on average, {max(busy)} % in the busiest {interval} s.")
if stopped:
    print()
    print(f"**Stopped early after {soaked} s: {stopped} was not running any more.**")
print()
print("| per proxy | outbound (client sidecar) | inbound (server sidecar) |")
print("|---|---:|---:|")
print(f"| RSS start / end / max (MB) | {start_end_max('out_rss_kb')} | {start_end_max('in_rss_kb')} |")
print(f"| RSS drift (MB per 10 min) | {drift('out_rss_kb')} | {drift('in_rss_kb')} |")
print(f"| heap after GC start / end / max (MB) | {start_end_max('out_heap_after_gc_kb')} | {start_end_max('in_heap_after_gc_kb')} |")
print(f"| heap after GC drift (MB per 10 min) | {drift('out_heap_after_gc_kb')} | {drift('in_heap_after_gc_kb')} |")
print(f"| live heap after a forced full GC, start → end (MB) | {live(live_so, live_eo)} | {live(live_si, live_ei)} |")
print(f"| young / full collections | {gcs('out')} | {gcs('in')} |")
print(f"| threads start / end / max | {start_end_max('out_threads', 1.0, '{:.0f}')} | {start_end_max('in_threads', 1.0, '{:.0f}')} |")
print(f"| open fds start / end / max | {start_end_max('out_fds', 1.0, '{:.0f}')} | {start_end_max('in_fds', 1.0, '{:.0f}')} |")
print(f"| CPU (% of one core, mean) | {cpu('out')} | {cpu('in')} |")
print()
print("| load (requests started in the soak window) | |")
print("|---|---:|")
print(f"| requests answered (scheduled) | {len(lat):,} ({rate * duration:,}) |")
print(f"| requests without a 2xx answer | {bad} (h2load, whole run: {h2_failed}) |")
print(f"| latency p50 / p99 (ms) | {q(0.50):.3f} / {q(0.99):.3f} |")
print(f"| worst {interval} s p99 (ms) | {worst[0]:.3f} (at {worst[1]} s) |")
print(f"| max latency (ms) | {(lat[-1] / 1000 if lat else float('nan')):.3f} |")
PY
gzip -f "$out/requests.log"
echo "samples: $csv" >&2
[ -z "$stopped" ]
