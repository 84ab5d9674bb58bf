#!/usr/bin/env bash
# h2load against bicorn and, where installed, nginx and h2o: one server
# worker pinned to core 0, h2load pinned to core 1, the same files.
# Prints req/s, server CPU microseconds per request (utime+stime of all
# the server's processes, from /proc) and the workers' peak RSS, with
# ratios to bicorn. A benchmark, not a test: nothing here asserts.
#
#   bench/compare.sh            # full runs
#   QUICK=1 bench/compare.sh    # 10x fewer requests
#
# Rows (issue 4): 612 B file -c 32 -m 16, 16 KiB -c 16 -m 4, 1 MiB -c 4 -m 1
# over h2c (prior knowledge) and over TLS 1.3 (TLS_AES_128_GCM_SHA256, an
# ECDSA P-256 certificate, HTTP/2 by ALPN), and HTTP/1.1 on the 612 B file.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v h2load >/dev/null || { echo "h2load not installed (apt-get install nghttp2-client)"; exit 1; }
scale=1; [ -n "${QUICK:-}" ] && scale=10
work=$(mktemp -d /tmp/bicorn-bench.XXXXXX)
trap 'for p in $(cat "$work"/*.pids 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
docroot="$work/www"; mkdir -p "$docroot"
# Readable by the peers' unprivileged workers (mktemp makes it 0700).
chmod 755 "$work"
head -c 612 /dev/zero | tr '\0' 'a' > "$docroot/index.html"
head -c 16384 /dev/zero | tr '\0' 'b' > "$docroot/16k.html"
head -c 1048576 /dev/zero | tr '\0' 'c' > "$docroot/1m.bin"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
chmod 644 "$work/key.pem"
tls_args=(--tls13-ciphers=TLS_AES_128_GCM_SHA256)

cargo build --release --quiet
bicorn_bin=$PWD/target/release/bicorn

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# All pids of a process tree.
tree() { local p=$1; echo "$p"; for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree "$c"; done; }
cpu_ticks() { local t=0; for p in $(tree "$1"); do t=$((t + $(awk '{print $14+$15}' /proc/"$p"/stat 2>/dev/null || echo 0))); done; echo "$t"; }
peak_rss_kib() { local m=0; for p in $(tree "$1"); do v=$(awk '/VmHWM/{print $2}' /proc/"$p"/status 2>/dev/null || echo 0); [ "$v" -gt "$m" ] && m=$v; done; echo "$m"; }
hz=$(getconf CLK_TCK)

wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "server on $1 did not start" >&2; return 1; }

# run NAME PID URL N C M [h2load args...]: prints one result line.
run() {
  local name=$1 pid=$2 url=$3 n=$4 c=$5 m=$6; shift 6
  local before after out reqs rps us
  h2load -n $((n / 10)) -c "$c" -m "$m" "$@" "$url" >/dev/null 2>&1 || true   # warm-up
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 1 h2load -n "$n" -c "$c" -m "$m" "$@" "$url" 2>&1)
  after=$(cpu_ticks "$pid")
  reqs=$(echo "$out" | awk '/^requests:/{print $8}')
  rps=$(echo "$out" | awk '/^finished in/{gsub(",","",$4); print $4}')
  us=$(awk -v t=$((after - before)) -v hz="$hz" -v r="${reqs:-0}" 'BEGIN{ if (r>0) printf "%.2f", t*1e6/hz/r; else print "n/a" }')
  printf '%s|%s|%s|%s\n' "$name" "${rps:-0}" "$us" "$(echo "$out" | awk '/^requests:/{print $10" failed"}')"
}

rows() { # SERVER PID H2URLBASE H1URLBASE TLSURLBASE
  local s=$1 pid=$2 h2=$3 h1=$4 tls=$5
  run "$s 612B h2c -c32 -m16" "$pid" "$h2/index.html" $((400000 / scale)) 32 16
  run "$s 16KiB h2c -c16 -m4" "$pid" "$h2/16k.html" $((100000 / scale)) 16 4
  run "$s 1MiB h2c -c4 -m1" "$pid" "$h2/1m.bin" $((4000 / scale)) 4 1
  run "$s 612B tls -c32 -m16" "$pid" "$tls/index.html" $((400000 / scale)) 32 16 "${tls_args[@]}"
  run "$s 16KiB tls -c16 -m4" "$pid" "$tls/16k.html" $((100000 / scale)) 16 4 "${tls_args[@]}"
  run "$s 1MiB tls -c4 -m1" "$pid" "$tls/1m.bin" $((4000 / scale)) 4 1 "${tls_args[@]}"
  run "$s 612B http/1.1 -c32" "$pid" "$h1/index.html" $((200000 / scale)) 32 1 --h1
}

results="$work/results"; : > "$results"

# bicorn
port=$(free_port); tport=$(free_port)
cat > "$work/bicorn.toml" <<CONF
workers = 1
[[listen]]
address = "127.0.0.1:$port"
[[listen]]
address = "127.0.0.1:$tport"
tls = { cert = "$work/cert.pem", key = "$work/key.pem" }
[[route]]
path = "/"
root = "$docroot"
[log]
level = "warn"
CONF
taskset -c 0 "$bicorn_bin" -c "$work/bicorn.toml" 2>"$work/bicorn.err" & echo $! > "$work/bicorn.pids"
wait_port "$port"
bpid=$(cat "$work/bicorn.pids")
rows bicorn "$bpid" "http://127.0.0.1:$port" "http://127.0.0.1:$port" "https://127.0.0.1:$tport" >> "$results"
echo "bicorn peak worker RSS: $(peak_rss_kib "$bpid") KiB" >> "$work/rss"
kill -QUIT "$bpid"

# nginx (one worker, access log off; h2c prior knowledge on one port, HTTP/1.1 on another)
if command -v nginx >/dev/null; then
  p2=$(free_port); p1=$(free_port); pt=$(free_port)
  cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 1000000;
  http2_max_requests 1000000;
  server { listen 127.0.0.1:$p2 http2; root $docroot; }
  server { listen 127.0.0.1:$p1; root $docroot; }
  server { listen 127.0.0.1:$pt ssl http2; root $docroot;
           ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
           ssl_protocols TLSv1.3; }
}
CONF
  taskset -c 0 nginx -c "$work/nginx.conf" -p "$work" 2>/dev/null & echo $! > "$work/nginx.pids"
  wait_port "$p2"
  npid=$(cat "$work/nginx.pids")
  rows nginx "$npid" "http://127.0.0.1:$p2" "http://127.0.0.1:$p1" "https://127.0.0.1:$pt" >> "$results"
  echo "nginx peak worker RSS: $(peak_rss_kib "$npid") KiB" >> "$work/rss"
  kill -QUIT "$npid"
else
  echo "nginx not installed: skipped (apt-get install nginx)" >> "$work/rss"
fi

# h2o (one thread, no access log)
if command -v h2o >/dev/null; then
  p=$(free_port); pt=$(free_port)
  cat > "$work/h2o.conf" <<CONF
listen:
  host: 127.0.0.1
  port: $p
listen:
  host: 127.0.0.1
  port: $pt
  ssl:
    certificate-file: $work/cert.pem
    key-file: $work/key.pem
    minimum-version: TLSv1.3
num-threads: 1
hosts:
  default:
    paths:
      /:
        file.dir: $docroot
CONF
  taskset -c 0 h2o -c "$work/h2o.conf" >/dev/null 2>&1 & echo $! > "$work/h2o.pids"
  wait_port "$p"
  hpid=$(cat "$work/h2o.pids")
  rows h2o "$hpid" "http://127.0.0.1:$p" "http://127.0.0.1:$p" "https://127.0.0.1:$pt" >> "$results"
  echo "h2o peak RSS: $(peak_rss_kib "$hpid") KiB" >> "$work/rss"
  kill -TERM "$hpid"
else
  echo "h2o not installed: skipped (apt-get install h2o)" >> "$work/rss"
fi

# Table with ratios to bicorn's row.
awk -F'|' '
  { split($1, a, " "); server=a[1]; row=substr($1, length(server)+2);
    rps[server, row]=$2; us[server, row]=$3; fail[server, row]=$4;
    if (!(row in seen)) { seen[row]=1; rows[++n]=row }
    servers[server]=1 }
  END {
    printf "%-28s %-7s %12s %10s %12s %10s %s\n", "row", "server", "req/s", "x bicorn", "CPU us/req", "x bicorn", "failures";
    for (i=1; i<=n; i++) { r=rows[i];
      for (s in servers) if ((s, r) in rps) {
        b=rps["bicorn", r]; bu=us["bicorn", r];
        printf "%-28s %-7s %12.0f %10.2f %12s %10s %s\n", r, s, rps[s, r], (b>0 ? rps[s, r]/b : 0), us[s, r], (bu+0>0 && us[s, r]+0>0 ? sprintf("%.2f", us[s, r]/bu) : "-"), fail[s, r] } } }' "$results"
cat "$work/rss"
