#!/usr/bin/env bash
# The data-plane benchmark: the same load sent directly to nginx, through a meshj proxy pair, and
# through an haproxy pair of the same shape, all on loopback, in one run.
#
#   bench/proxy.sh                # build, run everything (~4 minutes), print the table, append it to BENCHMARKS.md
#   BENCH_SECONDS=5 bench/proxy.sh --no-append
#
# Topology (each proxy pair = the caller's sidecar and the server's sidecar, with HTTP/2 between them):
#   direct:  load → nginx
#   meshj:   load → meshj proxy (outbound) → meshj proxy (inbound) → nginx
#   haproxy: load → haproxy → haproxy (h2 between them) → nginx
#   meshj mTLS:   as meshj, with mutual TLS 1.3 between the proxies (certified by a local meshj controller)
#   haproxy TLS:  as haproxy, with mutual TLS 1.3 (h2 by ALPN) between the two haproxies, same CA
# Loads: HTTP/1.1 max RPS (wrk), HTTP/2 max RPS (h2load), HTTP/2 latency at a fixed 1,000 RPS
# (h2load --rps, per-request times from --log-file), each proxy's peak RSS (VmHWM), and in every run the
# requests that got no 2xx answer (a rate bought with failures is not a result). Then full mutual
# handshakes per second per core of the server side: openssl s_time opens new connections with a
# client certificate for $secs seconds, divided by the CPU seconds the inbound proxy spent.
# Everything shares this machine's cores; numbers are comparable within one run.
#
# Needs: wrk, h2load (nghttp2-client), haproxy, nginx, python3 — installed if missing (apt, as root).
set -euo pipefail
root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
append=1
[ "${1:-}" = "--no-append" ] && append=0
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-50}

need=()
for c in wrk h2load haproxy nginx python3; do command -v "$c" >/dev/null 2>&1 || need+=("$c"); done
if [ ${#need[@]} -gt 0 ]; then
  pkgs=()
  for c in "${need[@]}"; do
    case $c in h2load) pkgs+=(nghttp2-client) ;; python3) pkgs+=(python3) ;; *) pkgs+=("$c") ;; esac
  done
  echo "installing ${pkgs[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null
fi

echo "building meshj..." >&2
./mvnw -B -q package -DskipTests

work=$(mktemp -d /tmp/meshj-bench.XXXXXX)
chmod 755 "$work" # nginx's worker (user nobody) serves files from here
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Ports
NGINX_H1=18080; NGINX_H2=18081
MESH_OUT=14140; MESH_IN=14143; MESH_OUT_ADMIN=14191; MESH_IN_OUT=14240; MESH_IN_ADMIN=14291
HA_OUT_H1=15140; HA_OUT_H2=15141; HA_IN=15143
TLS_OUT=16140; TLS_IN=16143; TLS_OUT_ADMIN=16191; TLS_IN_OUT=16240; TLS_IN_ADMIN=16291
HAT_OUT_H1=17140; HAT_OUT_H2=17141; HAT_IN=17143
CTL_DEST=18086; CTL_ID=18087

# --- nginx: one worker, a small static response over HTTP/1.1 and h2c (prior knowledge) ---
mkdir -p "$work/nginx/html"
printf 'hello from nginx\n' > "$work/nginx/html/index.html"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NGINX_H1; root $work/nginx/html; }
  server { listen 127.0.0.1:$NGINX_H2 http2; root $work/nginx/html; }
}
EOF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)

# --- meshj pair ---
cat > "$work/endpoints.yml" <<EOF
services:
  bench-h1.default:80:
    - address: 127.0.0.1:$NGINX_H1
      protocol: h2
      inboundPort: $MESH_IN
  bench-h2.default:80:
    - address: 127.0.0.1:$NGINX_H2
      protocol: h2
      inboundPort: $MESH_IN
EOF
bin/meshj proxy --inbound-listen 127.0.0.1:$MESH_IN --outbound-listen 127.0.0.1:$MESH_IN_OUT \
  --admin-listen 127.0.0.1:$MESH_IN_ADMIN --tap-listen 127.0.0.1:14290 --app-ports $NGINX_H1,$NGINX_H2 > "$work/meshj-in.log" 2>&1 &
mesh_in=$!; pids+=($mesh_in)
bin/meshj proxy --outbound-listen 127.0.0.1:$MESH_OUT --inbound-listen 127.0.0.1:14243 \
  --admin-listen 127.0.0.1:$MESH_OUT_ADMIN --tap-listen 127.0.0.1:14190 --discovery-file "$work/endpoints.yml" > "$work/meshj-out.log" 2>&1 &
mesh_out=$!; pids+=($mesh_out)

# --- meshj mTLS pair: a local controller's identity service certifies both proxies ---
home="$work/home"
bin/meshj identity init --data-dir "$home" >/dev/null
bin/meshj controller --local --data-dir "$home" --destination-listen 127.0.0.1:$CTL_DEST \
  --identity-listen 127.0.0.1:$CTL_ID > "$work/controller.log" 2>&1 &
pids+=($!)
bin/meshj identity token --sa bench-server --data-dir "$home" > "$work/server.token"
bin/meshj identity token --sa bench-client --data-dir "$home" > "$work/client.token"
server_id=bench-server.default.serviceaccount.identity.meshj.cluster.local
cat > "$work/endpoints-mtls.yml" <<EOF
services:
  bench-h1.default:80:
    - address: 127.0.0.1:$NGINX_H1
      protocol: h2
      inboundPort: $TLS_IN
      identity: $server_id
  bench-h2.default:80:
    - address: 127.0.0.1:$NGINX_H2
      protocol: h2
      inboundPort: $TLS_IN
      identity: $server_id
EOF
identity_flags() { # client|server
  echo --identity 127.0.0.1:$CTL_ID --identity-token-file "$work/$1.token" \
    --trust-anchors "$home/identity/trust-anchor.pem" --service-account "bench-$1"
}
bin/meshj proxy --inbound-listen 127.0.0.1:$TLS_IN --outbound-listen 127.0.0.1:$TLS_IN_OUT \
  --admin-listen 127.0.0.1:$TLS_IN_ADMIN --tap-listen 127.0.0.1:16290 --app-ports $NGINX_H1,$NGINX_H2 $(identity_flags server) > "$work/meshj-tls-in.log" 2>&1 &
tls_in=$!; pids+=($tls_in)
bin/meshj proxy --outbound-listen 127.0.0.1:$TLS_OUT --inbound-listen 127.0.0.1:16243 \
  --admin-listen 127.0.0.1:$TLS_OUT_ADMIN --tap-listen 127.0.0.1:16190 --discovery-file "$work/endpoints-mtls.yml" $(identity_flags client) \
  > "$work/meshj-tls-out.log" 2>&1 &
tls_out=$!; pids+=($tls_out)

# --- certificates for the haproxy TLS pair and for openssl s_time: leaves from the same issuer ---
leaf() { # name → $work/$name.pem (cert, issuer, key: haproxy's crt format) and $name.crt/.key
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/$1.key" 2>/dev/null
  openssl req -new -key "$work/$1.key" -subj "/CN=$1" -out "$work/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$1" > "$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA "$home/identity/issuer.pem" -CAkey "$home/identity/issuer-key.pem" \
    -CAcreateserial -days 1 -out "$work/$1.crt" -extfile "$work/$1.ext" 2>/dev/null
  cat "$work/$1.crt" "$home/identity/issuer.pem" "$work/$1.key" > "$work/$1.pem"
}
leaf ha-in; leaf ha-out; leaf s-time
cat "$home/identity/trust-anchor.pem" "$home/identity/issuer.pem" > "$work/chain-ca.pem"

# --- haproxy pair: one thread each, h2c between them ---
haproxy_common='global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
'
{ printf '%s' "$haproxy_common"; cat <<EOF
frontend out_h1
  bind 127.0.0.1:$HA_OUT_H1
  default_backend to_in_h1
frontend out_h2
  bind 127.0.0.1:$HA_OUT_H2 proto h2
  default_backend to_in_h2
backend to_in_h1
  server in 127.0.0.1:$HA_IN proto h2
backend to_in_h2
  server in 127.0.0.1:$HA_IN proto h2
EOF
} > "$work/haproxy-out.cfg"
{ printf '%s' "$haproxy_common"; cat <<EOF
frontend in
  bind 127.0.0.1:$HA_IN proto h2
  use_backend app_h2 if { req.hdr(host) -m beg bench-h2 }
  default_backend app_h1
backend app_h1
  server app 127.0.0.1:$NGINX_H1
backend app_h2
  server app 127.0.0.1:$NGINX_H2 proto h2
EOF
} > "$work/haproxy-in.cfg"
{ printf '%s' "$haproxy_common"; cat <<EOF
frontend out_h1
  bind 127.0.0.1:$HAT_OUT_H1
  default_backend to_in
frontend out_h2
  bind 127.0.0.1:$HAT_OUT_H2 proto h2
  default_backend to_in
backend to_in
  server in 127.0.0.1:$HAT_IN ssl crt $work/ha-out.pem ca-file $home/identity/trust-anchor.pem verify required verifyhost ha-in sni str(ha-in) alpn h2 ssl-min-ver TLSv1.3
EOF
} > "$work/haproxy-tls-out.cfg"
{ printf '%s' "$haproxy_common"; cat <<EOF
frontend in
  bind 127.0.0.1:$HAT_IN ssl crt $work/ha-in.pem ca-file $home/identity/trust-anchor.pem verify required alpn h2 ssl-min-ver TLSv1.3
  use_backend app_h2 if { req.hdr(host) -m beg bench-h2 }
  default_backend app_h1
backend app_h1
  server app 127.0.0.1:$NGINX_H1
backend app_h2
  server app 127.0.0.1:$NGINX_H2 proto h2
EOF
} > "$work/haproxy-tls-in.cfg"
haproxy -f "$work/haproxy-tls-in.cfg" -db > "$work/haproxy-tls-in.log" 2>&1 &
hat_in=$!; pids+=($hat_in)
haproxy -f "$work/haproxy-tls-out.cfg" -db > "$work/haproxy-tls-out.log" 2>&1 &
hat_out=$!; pids+=($hat_out)
haproxy -f "$work/haproxy-in.cfg" -db > "$work/haproxy-in.log" 2>&1 &
ha_in=$!; pids+=($ha_in)
haproxy -f "$work/haproxy-out.cfg" -db > "$work/haproxy-out.log" 2>&1 &
ha_out=$!; pids+=($ha_out)

wait_http() { # url [host]
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null -H "Host: ${2:-x}" "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "not answering: $1" >&2; exit 1
}
wait_http "http://127.0.0.1:$NGINX_H1/"
wait_http "http://127.0.0.1:$MESH_OUT/" bench-h1
wait_http "http://127.0.0.1:$HA_OUT_H1/" bench-h1
curl -fsS --http2-prior-knowledge -o /dev/null -H "Host: bench-h2" "http://127.0.0.1:$MESH_OUT/"
curl -fsS --http2-prior-knowledge -o /dev/null -H "Host: bench-h2" "http://127.0.0.1:$HA_OUT_H2/"
wait_http "http://127.0.0.1:$TLS_OUT/" bench-h1
wait_http "http://127.0.0.1:$HAT_OUT_H1/" bench-h1
curl -fsS --http2-prior-knowledge -o /dev/null -H "Host: bench-h2" "http://127.0.0.1:$TLS_OUT/"
curl -fsS --http2-prior-knowledge -o /dev/null -H "Host: bench-h2" "http://127.0.0.1:$HAT_OUT_H2/"

# Warm up the JVMs (JIT) before measuring anything; haproxy gets the same treatment for fairness.
echo "warming up..." >&2
for u in "http://127.0.0.1:$MESH_OUT/" "http://127.0.0.1:$HA_OUT_H1/" "http://127.0.0.1:$TLS_OUT/" "http://127.0.0.1:$HAT_OUT_H1/"; do
  wrk -t1 -c"$conns" -d10s -H "Host: bench-h1" "$u" >/dev/null
done
for u in "http://127.0.0.1:$MESH_OUT/" "http://127.0.0.1:$HA_OUT_H2/" "http://127.0.0.1:$TLS_OUT/" "http://127.0.0.1:$HAT_OUT_H2/"; do
  h2load -D 10 -c "$conns" -m 10 -t 1 -H ":authority: bench-h2" "$u" >/dev/null
done

# Each prints "RPS FAILED": requests per second, and how many requests got no 2xx answer (errors,
# resets, non-2xx statuses). A rate bought with failures is not a result; the table shows both.
h1_rps() { # url
  wrk -t1 -c"$conns" -d"${secs}s" -H "Host: bench-h1" "$1" | awk '
    /Requests\/sec/ {rps = $2}
    /Non-2xx or 3xx responses/ {failed += $NF}
    /Socket errors/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) {gsub(/,/, "", $i); failed += $i}}
    END {print rps, failed + 0}'
}
h2_rps() { # url
  h2load -D "$secs" -c "$conns" -m 10 -t 1 -H ":authority: bench-h2" "$1" | awk '
    /finished in/ {for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) {gsub(/,/, "", $(i-1)); rps = $(i-1)}}
    /^requests:/ {failed += $10}  # h2load: "failed" includes errored and timed out
    /^status codes:/ {failed += $5 + $7 + $9}
    END {print rps, failed + 0}'
}
latency() { # url → "p50 p99" in ms, at 1,000 RPS for $secs seconds
  local log="$work/lat.$RANDOM.log"
  h2load -D "$secs" -c 10 --rps 100 -m 1 -t 1 -H ":authority: bench-h2" --log-file="$log" "$1" >/dev/null
  python3 - "$log" <<'PY'
import sys
rows = [l.split('\t') for l in open(sys.argv[1]) if l.strip()]
d = sorted(int(r[2]) for r in rows if r[1] == '200')
failed = len(rows) - len(d)
if not d:
    print(f"nan nan {failed}"); sys.exit()
q = lambda p: d[min(len(d) - 1, int(p * len(d)))] / 1000.0
print(f"{q(0.50):.3f} {q(0.99):.3f} {failed}")
PY
}
peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
# Full mutual handshakes against a server for $secs seconds, per CPU second that server spent.
handshakes() { # port pid → "per-cpu-second per-wall-second"
  local before after out
  before=$(cpu_seconds "$2")
  out=$(openssl s_time -connect "127.0.0.1:$1" -new -tls1_3 -time "$secs" -cert "$work/s-time.crt" \
    -key "$work/s-time.key" -CAfile "$work/chain-ca.pem" 2>&1 || true)
  after=$(cpu_seconds "$2")
  python3 - "$before" "$after" "$out" <<'PY'
import re, sys
before, after, out = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
m = re.search(r"(\d+) connections in ([\d.]+) real seconds", out)
if not m:
    print("nan nan"); sys.exit()
n, wall = int(m.group(1)), float(m.group(2))
print(f"{n / max(after - before, 1e-9):.0f} {n / wall:.0f}")
PY
}

declare -A R
for target in direct meshj haproxy meshj-mtls haproxy-tls; do
  case $target in
    direct)  u1="http://127.0.0.1:$NGINX_H1/";  u2="http://127.0.0.1:$NGINX_H2/" ;;
    meshj)   u1="http://127.0.0.1:$MESH_OUT/";  u2="http://127.0.0.1:$MESH_OUT/" ;;
    haproxy) u1="http://127.0.0.1:$HA_OUT_H1/"; u2="http://127.0.0.1:$HA_OUT_H2/" ;;
    meshj-mtls)  u1="http://127.0.0.1:$TLS_OUT/";    u2="http://127.0.0.1:$TLS_OUT/" ;;
    haproxy-tls) u1="http://127.0.0.1:$HAT_OUT_H1/"; u2="http://127.0.0.1:$HAT_OUT_H2/" ;;
  esac
  echo "measuring $target..." >&2
  read -r "R[$target.h1]" "R[$target.h1fail]" < <(h1_rps "$u1")
  read -r "R[$target.h2]" "R[$target.h2fail]" < <(h2_rps "$u2")
  read -r p50 p99 latfail < <(latency "$u2")
  R[$target.p50]=$p50; R[$target.p99]=$p99; R[$target.latfail]=$latfail
  # Resident memory right after the 1,000 RPS phase (the RSS target is stated at that rate).
  case $target in
    meshj) R[meshj.rss1k]="$(rss_mb $mesh_out) + $(rss_mb $mesh_in)" ;;
    haproxy) R[haproxy.rss1k]="$(rss_mb $ha_out) + $(rss_mb $ha_in)" ;;
    meshj-mtls) R[meshj-mtls.rss1k]="$(rss_mb $tls_out) + $(rss_mb $tls_in)" ;;
    haproxy-tls) R[haproxy-tls.rss1k]="$(rss_mb $hat_out) + $(rss_mb $hat_in)" ;;
  esac
done
echo "measuring handshakes..." >&2
read -r "R[meshj.hs]" "R[meshj.hswall]" < <(handshakes $TLS_IN $tls_in)
read -r "R[haproxy.hs]" "R[haproxy.hswall]" < <(handshakes $HAT_IN $hat_in)
R[meshj.rss]="$(peak_rss_mb $mesh_out) + $(peak_rss_mb $mesh_in)"
R[haproxy.rss]="$(peak_rss_mb $ha_out) + $(peak_rss_mb $ha_in)"

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
added() { python3 -c "import sys; print(f'{float(sys.argv[1])-float(sys.argv[2]):+.3f}')" "$1" "$2"; }

table=$(cat <<EOF
| load | direct | meshj pair | haproxy pair | meshj / direct | meshj / haproxy |
|---|---:|---:|---:|---:|---:|
| HTTP/1.1 max RPS (wrk, $conns conns) | ${R[direct.h1]} | ${R[meshj.h1]} | ${R[haproxy.h1]} | $(ratio "${R[meshj.h1]}" "${R[direct.h1]}") | $(ratio "${R[meshj.h1]}" "${R[haproxy.h1]}") |
| HTTP/2 max RPS (h2load, $conns conns × 10 streams) | ${R[direct.h2]} | ${R[meshj.h2]} | ${R[haproxy.h2]} | $(ratio "${R[meshj.h2]}" "${R[direct.h2]}") | $(ratio "${R[meshj.h2]}" "${R[haproxy.h2]}") |
| HTTP/2 p50 at 1,000 RPS (ms) | ${R[direct.p50]} | ${R[meshj.p50]} ($(added "${R[meshj.p50]}" "${R[direct.p50]}")) | ${R[haproxy.p50]} ($(added "${R[haproxy.p50]}" "${R[direct.p50]}")) | | |
| HTTP/2 p99 at 1,000 RPS (ms) | ${R[direct.p99]} | ${R[meshj.p99]} ($(added "${R[meshj.p99]}" "${R[direct.p99]}")) | ${R[haproxy.p99]} ($(added "${R[haproxy.p99]}" "${R[direct.p99]}")) | | |
| RSS after the 1,000 RPS phase, outbound + inbound (MB) | | ${R[meshj.rss1k]} | ${R[haproxy.rss1k]} | | |
| peak RSS over the whole run, outbound + inbound (MB) | | ${R[meshj.rss]} | ${R[haproxy.rss]} | | |
| requests without a 2xx answer (HTTP/1.1 / HTTP/2 / 1,000 RPS runs) | ${R[direct.h1fail]} / ${R[direct.h2fail]} / ${R[direct.latfail]} | ${R[meshj.h1fail]} / ${R[meshj.h2fail]} / ${R[meshj.latfail]} | ${R[haproxy.h1fail]} / ${R[haproxy.h2fail]} / ${R[haproxy.latfail]} | | |

With mutual TLS 1.3 between the two proxies of each pair (same ECDSA P-256 issuer):

| load | meshj mTLS pair | haproxy TLS pair | meshj mTLS / haproxy TLS | meshj mTLS / meshj plaintext |
|---|---:|---:|---:|---:|
| HTTP/1.1 max RPS (wrk, $conns conns) | ${R[meshj-mtls.h1]} | ${R[haproxy-tls.h1]} | $(ratio "${R[meshj-mtls.h1]}" "${R[haproxy-tls.h1]}") | $(ratio "${R[meshj-mtls.h1]}" "${R[meshj.h1]}") |
| HTTP/2 max RPS (h2load, $conns conns × 10 streams) | ${R[meshj-mtls.h2]} | ${R[haproxy-tls.h2]} | $(ratio "${R[meshj-mtls.h2]}" "${R[haproxy-tls.h2]}") | $(ratio "${R[meshj-mtls.h2]}" "${R[meshj.h2]}") |
| HTTP/2 p50 at 1,000 RPS (ms, added over direct) | ${R[meshj-mtls.p50]} ($(added "${R[meshj-mtls.p50]}" "${R[direct.p50]}")) | ${R[haproxy-tls.p50]} ($(added "${R[haproxy-tls.p50]}" "${R[direct.p50]}")) | | |
| HTTP/2 p99 at 1,000 RPS (ms, added over direct) | ${R[meshj-mtls.p99]} ($(added "${R[meshj-mtls.p99]}" "${R[direct.p99]}")) | ${R[haproxy-tls.p99]} ($(added "${R[haproxy-tls.p99]}" "${R[direct.p99]}")) | | |
| RSS after the 1,000 RPS phase, outbound + inbound (MB) | ${R[meshj-mtls.rss1k]} | ${R[haproxy-tls.rss1k]} | | |
| full mutual handshakes per CPU second of the server (openssl s_time, new connections) | ${R[meshj.hs]} | ${R[haproxy.hs]} | $(ratio "${R[meshj.hs]}" "${R[haproxy.hs]}") | |
| ... and per wall second (one openssl client, sharing the cores) | ${R[meshj.hswall]} | ${R[haproxy.hswall]} | | |
| requests without a 2xx answer (HTTP/1.1 / HTTP/2 / 1,000 RPS runs) | ${R[meshj-mtls.h1fail]} / ${R[meshj-mtls.h2fail]} / ${R[meshj-mtls.latfail]} | ${R[haproxy-tls.h1fail]} / ${R[haproxy-tls.h2fail]} / ${R[haproxy-tls.latfail]} | | |
EOF
)
echo
echo "$table"

if [ $append -eq 1 ]; then
  {
    echo
    echo "### bench/proxy.sh — $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ":!BENCHMARKS.md" || echo " with uncommitted changes")"
    echo
    echo "$(nproc) cores, $(java -version 2>&1 | head -1), ${secs}s per measurement; in parentheses: added over direct."
    echo
    echo "$table"
  } >> BENCHMARKS.md
  echo "appended to BENCHMARKS.md" >&2
fi
