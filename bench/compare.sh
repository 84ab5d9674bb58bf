#!/usr/bin/env bash
# h2load against bicorn and, where installed, nginx and h2o: one server
# worker pinned to core 0, h2load pinned to core 1, the same files.
# Prints req/s, server CPU microseconds per request (run time of all the
# server's threads, from /proc/*/schedstat) and the workers' peak RSS, with
# ratios to bicorn. A benchmark, not a test: nothing here asserts.
#
#   bench/compare.sh            # full runs
#   QUICK=1 bench/compare.sh    # 10x fewer requests
#   ROUNDS=5 SERVERS="bicorn h2o" ROWS='612B|16KiB tls' bench/compare.sh
#
# All servers run at once (each pinned to core 0, idle while another is
# measured) and the rows are interleaved: round by round, row by row, each
# server in turn (the order rotates every round), so a noisy neighbour on
# the machine hits every server alike. With ROUNDS > 1 the table shows
# medians. ROWS is an extended regex over row names (default: all);
# SERVERS a subset of "bicorn nginx h2o". RSS_TRACE=1 prints each server's
# worker VmRSS/VmHWM after every measurement (to find what grows it).
# BASE=/path/to/bicorn adds another bicorn binary as server "base", to
# measure a change before and after in the same run.
#
# Rows (issue 4): 612 B file -c 32 -m 16, 16 KiB -c 16 -m 4, 1 MiB -c 4 -m 1
# over h2c (prior knowledge) and over TLS 1.3 (TLS_AES_128_GCM_SHA256, an
# ECDSA P-256 certificate, HTTP/2 by ALPN), and HTTP/1.1 on the 612 B file.
# Rows (issue 5): a "hello" application response over h2c, TLS and
# HTTP/1.1 (bicorn: the App API's examples/hello on its handler threads;
# nginx: `return 200`; h2o: an mruby handler, its Rack-like API), and each
# server's worker RSS with 1,000 idle keep-alive HTTP/1.1 connections open
# (KEEPALIVE=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v h2load >/dev/null || { echo "h2load not installed (apt-get install nghttp2-client)"; exit 1; }
scale=1; [ -n "${QUICK:-}" ] && scale=10
# 1,000 keep-alive connections and their servers need descriptors.
ulimit -n 8192 2>/dev/null || true
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

cargo build --release --quiet --bin bicorn --example hello
# The hello example is bicorn with one app registered: the same server for
# the file rows, and the App API for the hello rows.
bicorn_bin=$PWD/target/release/examples/hello

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# All pids of a process tree.
tree() { local p=$1; echo "$p"; for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree "$c"; done; }
# CPU nanoseconds of every thread of the tree (schedstat: exact, where
# utime+stime come in 10 ms ticks).
cpu_ns() { local t=0 p; for p in $(tree "$1"); do t=$((t + $(cat /proc/"$p"/task/*/schedstat 2>/dev/null | awk '{s+=$1} END{printf "%.0f\n", s}'))); done; echo "$t"; }
peak_rss_kib() { local m=0; for p in $(tree "$1"); do v=$(awk '/VmHWM/{print $2}' /proc/"$p"/status 2>/dev/null || echo 0); [ "$v" -gt "$m" ] && m=$v; done; echo "$m"; }

wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "server on $1 did not start" >&2; return 1; }

# run NAME PID URL N C M [h2load args...]: prints one result line.
run() {
  local name=$1 pid=$2 url=$3 n=$4 c=$5 m=$6; shift 6
  local before after out reqs rps us
  h2load -n $((n / 10)) -c "$c" -m "$m" "$@" "$url" >/dev/null 2>&1 || true   # warm-up
  before=$(cpu_ns "$pid")
  out=$(taskset -c 1 h2load -n "$n" -c "$c" -m "$m" "$@" "$url" 2>&1)
  after=$(cpu_ns "$pid")
  reqs=$(echo "$out" | awk '/^requests:/{print $8}')
  rps=$(echo "$out" | awk '/^finished in/{gsub(",","",$4); print $4}')
  us=$(awk -v t=$((after - before)) -v r="${reqs:-0}" 'BEGIN{ if (r>0) printf "%.2f", t/1e3/r; else print "n/a" }')
  printf '%s|%s|%s|%s\n' "$name" "${rps:-0}" "$us" "$(echo "$out" | awk '/^requests:/{print $10" failed"}')"
}

# row SERVER INDEX: measures row INDEX (0-6) on SERVER.
row_names=("612B h2c -c32 -m16" "16KiB h2c -c16 -m4" "1MiB h2c -c4 -m1"
  "612B tls -c32 -m16" "16KiB tls -c16 -m4" "1MiB tls -c4 -m1" "612B http/1.1 -c32"
  "hello app h2c -c32 -m16" "hello app tls -c32 -m16" "hello app http/1.1 -c32")
row() {
  local s=$1 i=$2 pid h2 h1 tls
  pid=${pid_of[$s]} h2=${h2_of[$s]} h1=${h1_of[$s]} tls=${tls_of[$s]}
  local name="$s ${row_names[$i]}"
  case $i in
    0) run "$name" "$pid" "$h2/index.html" $((400000 / scale)) 32 16 ;;
    1) run "$name" "$pid" "$h2/16k.html" $((100000 / scale)) 16 4 ;;
    2) run "$name" "$pid" "$h2/1m.bin" $((4000 / scale)) 4 1 ;;
    3) run "$name" "$pid" "$tls/index.html" $((400000 / scale)) 32 16 "${tls_args[@]}" ;;
    4) run "$name" "$pid" "$tls/16k.html" $((100000 / scale)) 16 4 "${tls_args[@]}" ;;
    5) run "$name" "$pid" "$tls/1m.bin" $((4000 / scale)) 4 1 "${tls_args[@]}" ;;
    6) run "$name" "$pid" "$h1/index.html" $((200000 / scale)) 32 1 --h1 ;;
    7) run "$name" "$pid" "$h2/hello" $((400000 / scale)) 32 16 ;;
    8) run "$name" "$pid" "$tls/hello" $((400000 / scale)) 32 16 "${tls_args[@]}" ;;
    9) run "$name" "$pid" "$h1/hello" $((200000 / scale)) 32 1 --h1 ;;
  esac
  if [ -n "${RSS_TRACE:-}" ]; then
    local p
    for p in $(tree "$pid"); do
      echo "rss $name pid $p: $(awk '/VmRSS|VmHWM|RssAnon/{printf "%s %s KiB ", $1, $2}' /proc/"$p"/status 2>/dev/null)" >&2
    done
  fi
}

results="$work/results"; : > "$results"
: > "$work/rss"
wanted=${SERVERS:-bicorn nginx h2o}
declare -A pid_of h2_of h1_of tls_of
started=()

# start_bicorn NAME BINARY: one bicorn master with one worker.
start_bicorn() {
  local name=$1 bin=$2 port tport
  port=$(free_port); tport=$(free_port)
  cat > "$work/$name.toml" <<CONF
workers = 1
[[listen]]
address = "127.0.0.1:$port"
[[listen]]
address = "127.0.0.1:$tport"
tls = { cert = "$work/cert.pem", key = "$work/key.pem" }
[[route]]
path = "/"
root = "$docroot"
[[route]]
path = "/hello"
app = "hello"
[app]
threads = 2
[log]
level = "warn"
CONF
  taskset -c 0 "$bin" -c "$work/$name.toml" 2>"$work/$name.err" & echo $! > "$work/$name.pids"
  wait_port "$port"
  pid_of[$name]=$(cat "$work/$name.pids")
  h2_of[$name]="http://127.0.0.1:$port" h1_of[$name]="http://127.0.0.1:$port" tls_of[$name]="https://127.0.0.1:$tport"
  started+=("$name")
}

[[ " $wanted " == *" bicorn "* ]] && start_bicorn bicorn "$bicorn_bin"
# BASE=path/to/an/older/bicorn: measured alongside, as "base".
[ -n "${BASE:-}" ] && start_bicorn base "$BASE"

# nginx (one worker, access log off; h2c prior knowledge on one port, HTTP/1.1 on another)
if [[ " $wanted " == *" nginx "* ]]; then
  if command -v nginx >/dev/null; then
    p2=$(free_port); p1=$(free_port); pt=$(free_port)
    hello='location = /hello { default_type text/plain; return 200 "hello from nginx\n"; }'
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
  server { listen 127.0.0.1:$p2 http2; root $docroot; $hello }
  server { listen 127.0.0.1:$p1; root $docroot; $hello }
  server { listen 127.0.0.1:$pt ssl http2; root $docroot; $hello
           ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
           ssl_protocols TLSv1.3; }
}
CONF
    taskset -c 0 nginx -c "$work/nginx.conf" -p "$work" 2>/dev/null & echo $! > "$work/nginx.pids"
    wait_port "$p2"
    pid_of[nginx]=$(cat "$work/nginx.pids")
    h2_of[nginx]="http://127.0.0.1:$p2" h1_of[nginx]="http://127.0.0.1:$p1" tls_of[nginx]="https://127.0.0.1:$pt"
    started+=(nginx)
  else
    echo "nginx not installed: skipped (apt-get install nginx)" >> "$work/rss"
  fi
fi

# h2o (one thread, no access log)
if [[ " $wanted " == *" h2o "* ]]; then
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
      /hello:
        mruby.handler: |
          Proc.new do |env|
            [200, {"content-type" => "text/plain"}, ["hello from h2o\n"]]
          end
      /:
        file.dir: $docroot
CONF
    taskset -c 0 h2o -c "$work/h2o.conf" >/dev/null 2>&1 & echo $! > "$work/h2o.pids"
    wait_port "$p"
    pid_of[h2o]=$(cat "$work/h2o.pids")
    h2_of[h2o]="http://127.0.0.1:$p" h1_of[h2o]="http://127.0.0.1:$p" tls_of[h2o]="https://127.0.0.1:$pt"
    started+=(h2o)
  else
    echo "h2o not installed: skipped (apt-get install h2o)" >> "$work/rss"
  fi
fi

rounds=${ROUNDS:-1}
for ((r = 0; r < rounds; r++)); do
  for i in "${!row_names[@]}"; do
    [[ "${row_names[$i]}" =~ ${ROWS:-.} ]] || continue
    n=${#started[@]}
    for ((k = 0; k < n; k++)); do
      row "${started[$(((k + r) % n))]}" "$i" >> "$results"
    done
  done
done

for s in "${started[@]}"; do
  echo "$s peak worker RSS: $(peak_rss_kib "${pid_of[$s]}") KiB" >> "$work/rss"
done
# Worker RSS with 1,000 idle keep-alive HTTP/1.1 connections (each has
# made one request), against the same worker just before.
cur_rss_kib() { local m=0; for p in $(tree "$1"); do v=$(awk '/VmRSS/{print $2}' /proc/"$p"/status 2>/dev/null || echo 0); [ "$v" -gt "$m" ] && m=$v; done; echo "$m"; }
if [ "${KEEPALIVE:-1}" != 0 ]; then
  for s in "${started[@]}"; do
    url=${h1_of[$s]}
    before=$(cur_rss_kib "${pid_of[$s]}")
    python3 - "${url#http://}" 1000 "$work/ka.$s" <<'PY' &
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
host, port = sys.argv[1].rsplit(":", 1)
conns = []
for _ in range(int(sys.argv[2])):
    c = socket.create_connection((host, int(port)))
    c.sendall(b"GET /index.html HTTP/1.1\r\nhost: b\r\n\r\n")
    c.recv(65536)
    conns.append(c)
open(sys.argv[3], "w").write("open\n")
time.sleep(30)
PY
    ka=$!
    for _ in $(seq 300); do [ -s "$work/ka.$s" ] && break; sleep 0.1; done
    sleep 0.5
    after=$(cur_rss_kib "${pid_of[$s]}")
    kill "$ka" 2>/dev/null || true; wait "$ka" 2>/dev/null || true
    echo "$s worker RSS with 1000 keep-alive connections: $after KiB ($((after - before)) KiB over $before KiB idle, $(((after - before) * 1024 / 1000)) bytes each)" >> "$work/rss"
  done
fi
for s in "${started[@]}"; do
  case $s in
    h2o) kill -TERM "${pid_of[$s]}" ;;
    *) kill -QUIT "${pid_of[$s]}" ;;
  esac
done
# Let them exit (and reap their workers) before the trap's kill -9.
for s in "${started[@]}"; do
  for _ in $(seq 100); do
    case $(awk '{print $3}' /proc/"${pid_of[$s]}"/stat 2>/dev/null || echo Z) in Z) break ;; esac
    sleep 0.05
  done
done

# Table: medians over the rounds, with ratios to bicorn's row.
awk -F'|' -v rounds="$rounds" '
  function median(list,   a, k, t, i, j) {
    k = split(list, a, " ");
    for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
  { split($1, a, " "); server=a[1]; row=substr($1, length(server)+2);
    rps[server, row]=rps[server, row] " " $2; us[server, row]=us[server, row] " " $3; fail[server, row]=$4;
    if (!(row in seen)) { seen[row]=1; rows[++n]=row }
    if (!(server in servers)) { servers[server]=1; order[++m]=server } }
  END {
    if (rounds > 1) printf "medians of %d rounds; all CPU us/req values in order in the last column\n", rounds;
    printf "%-28s %-7s %12s %10s %12s %10s %s\n", "row", "server", "req/s", "x bicorn", "CPU us/req", "x bicorn", (rounds > 1 ? "failures | runs" : "failures");
    for (i=1; i<=n; i++) { r=rows[i];
      b = ((("bicorn", r) in rps) ? median(rps["bicorn", r]) : 0); bu = ((("bicorn", r) in us) ? median(us["bicorn", r]) : 0);
      for (j=1; j<=m; j++) { s=order[j]; if ((s, r) in rps) {
        mr = median(rps[s, r]); mu = median(us[s, r]);
        printf "%-28s %-7s %12.0f %10.2f %12.2f %10s %s%s\n", r, s, mr, (b>0 ? mr/b : 0), mu, (bu+0>0 && mu+0>0 ? sprintf("%.2f", mu/bu) : "-"), fail[s, r], (rounds > 1 ? " |" us[s, r] : "") } } } }' "$results"
cat "$work/rss"
