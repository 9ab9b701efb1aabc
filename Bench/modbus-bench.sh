#!/bin/bash
# make bench-modbus: requests/s reading 10 holding registers over 1 and 8 connections, driven by one load client
# (Bench/modbus-load.c), against our server (fieldagent modbus serve), libmodbus (Bench/modbus-libmodbus-server.c,
# the equivalent of libmodbus's bandwidth-server-one / bandwidth-server-many-up) and pymodbus (its recommended
# asyncio server, StartAsyncTcpServer). Each row also gives the server's CPU time per request (/proc/PID/stat).
# Rows "x1": one request in flight per connection (the goal's measurement); rows "x16": 16 in flight.
#   Bench/modbus-bench.sh FIELDAGENT BUILD_DIR PYTHON [SECONDS]
# Then the latency of an event on the server's loop while clients misbehave (MODBUS_BENCH_PROBE_ONLY=1: only that).
set -eu
FIELDAGENT=$1 DIR=$2 PYTHON=$3 SECONDS_EACH=${4:-3}
# Server and load client share one CPU (taskset): on a small VM, cross-CPU wake-ups vary from run to run by 2x
# and would drown the difference between servers. MODBUS_BENCH_CPU= (empty) lets the scheduler choose.
CPU=${MODBUS_BENCH_CPU-0}
PIN=()
if [ -n "$CPU" ] && command -v taskset >/dev/null; then PIN=(taskset -c "$CPU"); fi
PORT=$((20000 + $$ % 20000))
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done' EXIT

wait_port() {  # ready when it accepts a connection; deadline 20 s
  for _ in $(seq 400); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server on port $1 did not start: $(cat "$DIR/server.log")" >&2
  return 1
}

HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }  # utime + stime of a process

# run CONNECTIONS DEPTH PROGRAM ARGS... (the argument PORT is replaced by a fresh port): prints
# "REQUESTS_PER_S SERVER_CPU_US_PER_REQUEST CLIENT_CPU_US_PER_REQUEST" ("failed - -" when the client failed: a wrong
# or missing answer).
run() {
  local conns=$1 depth=$2; shift 2
  PORT=$((PORT + 1))
  local args=() a
  for a in "$@"; do [ "$a" = PORT ] && a=$PORT; args+=("$a"); done
  "${PIN[@]}" "${args[@]}" > "$DIR/server.log" 2>&1 &
  local pid=$!
  pids="$pids $pid"
  if wait_port $PORT; then
    local before after rps
    before=$(cpu_ticks $pid)
    rps=$("${PIN[@]}" "$DIR/modbus-load" $PORT "$conns" "$SECONDS_EACH" "$depth" 2>"$DIR/client.log") || rps=failed
    after=$(cpu_ticks $pid)
    echo "$rps $(awk -v r="$rps" -v t=$((after - before)) -v hz="$HZ" -v s="$SECONDS_EACH" \
      'BEGIN { if (r + 0 > 0) printf "%.1f", t * 1e6 / hz / (r * s); else print "-" }')" \
      "$(sed -n 's/^client_cpu_us_per_request=//p' "$DIR/client.log" | grep . || echo -)"
  else
    echo "failed - -"
  fi
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a + 0 > 0) printf "%.1fx", a / b; else print "-" }'; }
FORMAT="%-11s %10s %14s %15s %9s %13s %12s   %-26s %s\n"

row() {  # row CONNECTIONS DEPTH
  local c=$1 d=$2 ours ours_cpu ours_cl one=- one_cpu=- one_cl=- many many_cpu many_cl py py_cpu py_cl best best_cpu best_cl
  read -r ours ours_cpu ours_cl < <(run "$c" "$d" "$FIELDAGENT" modbus serve --bind 127.0.0.1 --port PORT --max-connections 64)
  [ "$c" = 1 ] && read -r one one_cpu one_cl < <(run "$c" "$d" "$DIR/modbus-libmodbus-server" one PORT)
  read -r many many_cpu many_cl < <(run "$c" "$d" "$DIR/modbus-libmodbus-server" many PORT)
  read -r py py_cpu py_cl < <(run "$c" "$d" "$PYTHON" Bench/modbus_pymodbus_server.py --tcp PORT)
  best=$many best_cpu=$many_cpu best_cl=$many_cl
  if [ "$one" != - ] && [ "$one" != failed ] && { [ "$many" = failed ] || [ "$one" -gt "$many" ]; } 2>/dev/null; then
    best=$one best_cpu=$one_cpu best_cl=$one_cl
  fi
  printf "$FORMAT" "$c conn x$d" "$ours" "$one" "$many" "$py" "$(ratio "$ours" "$best")" "$(ratio "$ours" "$py")" \
    "$ours_cpu / $best_cpu / $py_cpu" "$ours_cl / $best_cl / $py_cl"
}

echo "Modbus TCP server: requests/s reading 10 holding registers (load client Bench/modbus-load.c, ${SECONDS_EACH} s each${CPU:+, server and client on CPU $CPU})"
printf "$FORMAT" "" fieldagent libmodbus-one libmodbus-many pymodbus "vs libmodbus" "vs pymodbus" "server CPU µs/request" "client CPU µs/request"
printf "$FORMAT" "" "" "" "" "" "" "" "ours / libmodbus / pymodbus" "(same order)"
if [ -z "${MODBUS_BENCH_PROBE_ONLY:-}" ] && [ -z "${MODBUS_BENCH_TLS_ONLY:-}" ]; then
  row 1 1
  row 8 1
  # Extra rows, not the goal's: 16 requests in flight per connection (distinct transaction ids, legal in Modbus TCP).
  row 1 16
  row 8 16
fi
echo "goals: >= 1.0x libmodbus (the better of one/many), >= 10x pymodbus; 'xN': N requests in flight per connection."
echo "x1 is the goal's measurement (one request in flight, as most masters do). x16 rows show batching: our server answers"
echo "every complete request of one read with one write; libmodbus reads and answers one frame at a time; pymodbus 3.16.1"
echo "answers only the first request of a TCP segment and drops the rest, so its client run fails (no answer in 5 s)."
echo "Server and client share one CPU: requests/s is 1 / (server + client CPU per request), so the client's share caps"
echo "every ratio; server CPU per request compares the servers alone."

# Modbus/TCP Security (TLS): our server with --ca/--cert/--key (fieldagent pki made the test PKI) against the
# TLS load client (Bench/modbus-tls-load.c: OpenSSL, TLS 1.3, a client certificate, the server verified), beside
# the same server in plaintext with the plaintext client. MODBUS_BENCH_SKIP_TLS=1 skips it; MODBUS_BENCH_TLS_ONLY=1
# runs only it.
# measure SERVER_ARGS... -- CLIENT_ARGS... (PORT replaced in both): "CLIENT_FIRST_LINE SERVER_CPU_US_PER_UNIT
# CLIENT_CPU_US_PER_UNIT", where a unit is a request (or a handshake) and the client's first number is units/s.
measure() {
  PORT=$((PORT + 1))
  local server=() client=() a side=server
  for a in "$@"; do
    [ "$a" = -- ] && { side=client; continue; }
    [ "$a" = PORT ] && a=$PORT
    if [ $side = server ]; then server+=("$a"); else client+=("$a"); fi
  done
  "${PIN[@]}" "${server[@]}" > "$DIR/server.log" 2>&1 &
  local pid=$!
  pids="$pids $pid"
  if wait_port $PORT; then
    local before after out
    before=$(cpu_ticks $pid)
    out=$("${PIN[@]}" "${client[@]}" 2>"$DIR/client.log") || out=failed
    after=$(cpu_ticks $pid)
    echo "$out $(awk -v r="${out%% *}" -v t=$((after - before)) -v hz="$HZ" -v s="$SECONDS_EACH" \
      'BEGIN { if (r + 0 > 0) printf "%.1f", t * 1e6 / hz / (r * s); else print "-" }')" \
      "$(sed -n 's/^client_cpu_us_per_request=//p' "$DIR/client.log" | grep . || echo -)"
  else
    echo "failed - -"
  fi
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# memory SERVER_ARGS... -- HOLDER_ARGS...: the server's RSS growth while the holder keeps N connections open
# (the holder prints "held N" once they are all answered), in KiB per connection.
memory() {
  PORT=$((PORT + 1))
  local server=() holder=() a side=server
  for a in "$@"; do
    [ "$a" = -- ] && { side=client; continue; }
    [ "$a" = PORT ] && a=$PORT
    if [ $side = server ]; then server+=("$a"); else holder+=("$a"); fi
  done
  "${server[@]}" > "$DIR/server.log" 2>&1 &
  local pid=$! n=${holder[${#holder[@]}-1]}
  pids="$pids $pid"
  wait_port $PORT || { echo -; return; }
  sleep 0.3
  local before after
  before=$(rss_kib $pid)
  mkfifo "$DIR/hold.fifo" 2>/dev/null || true
  "${holder[@]}" < "$DIR/hold.fifo" > "$DIR/hold.log" 2>&1 &
  local hp=$!
  exec 7> "$DIR/hold.fifo"
  for _ in $(seq 200); do grep -q '^held' "$DIR/hold.log" 2>/dev/null && break; sleep 0.1; done
  sleep 0.3
  after=$(rss_kib $pid)
  exec 7>&-
  wait $hp 2>/dev/null || true
  rm -f "$DIR/hold.fifo"
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  if grep -q '^held' "$DIR/hold.log"; then awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }'; else echo failed; fi
}

tls_section() {
  local pki="$DIR/pki" f="$FIELDAGENT"
  rm -rf "$pki"
  "$f" pki init --dir "$pki" > /dev/null && "$f" pki issue server --role agent --host 127.0.0.1 --dir "$pki" > /dev/null \
    && "$f" pki issue client --role operator --dir "$pki" > /dev/null
  local tls=(--ca "$pki/ca.crt" --cert "$pki/server.crt" --key "$pki/server.key") id=("$pki/ca.crt" "$pki/client.crt" "$pki/client.key")
  local serve=("$f" modbus serve --bind 127.0.0.1 --port PORT --max-connections 600 --handshake-rate 0)
  echo
  echo "Modbus/TCP Security: our server over TLS 1.3 (P-256 certificates, mutual TLS) vs the same server in plaintext (${SECONDS_EACH} s each${CPU:+, server and client on CPU $CPU})"
  printf "%-22s %12s %12s %10s   %-28s %s\n" "" plaintext TLS "TLS/plain" "server CPU µs/request" "client CPU µs/request"
  local c plain pc pl t tc tl
  for c in 1 8; do
    read -r plain pc pl < <(measure "${serve[@]}" -- "$DIR/modbus-load" PORT $c "$SECONDS_EACH")
    read -r t tc tl < <(measure "${serve[@]}" "${tls[@]}" -- "$DIR/modbus-tls-load" load PORT "${id[@]}" $c "$SECONDS_EACH")
    printf "%-22s %12s %12s %10s   %-28s %s\n" "requests/s, $c conn" "$plain" "$t" "$(awk -v a="$t" -v b="$plain" 'BEGIN { if (b > 0 && a > 0) printf "%.2f", a / b; else print "-" }')" \
      "$pc (plain) / $tc (TLS)" "$pl / $tl"
  done
  local hps p50 p99 hc hcl
  read -r hps p50 p99 hc hcl < <(measure "${serve[@]}" "${tls[@]}" -- "$DIR/modbus-tls-load" handshakes PORT "${id[@]}" "$SECONDS_EACH")
  echo "full handshakes (connect, TLS 1.3 with client certificate, one read, close; no resumption): $hps/s;" \
       "connect + handshake p50 $p50 ms, p99 $p99 ms; server CPU $hc µs per handshake (incl. its read), client CPU $hcl µs"
  local mp mt
  mp=$(memory "$f" modbus serve --bind 127.0.0.1 --port PORT --max-connections 600 -- "$PYTHON" -c '
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(bytes([0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10])); s.recv(64); held.append(s)
print("held", n, flush=True); sys.stdin.read()' PORT 200)
  mt=$(memory "$f" modbus serve --bind 127.0.0.1 --port PORT --max-connections 600 --handshake-rate 0 "${tls[@]}" -- "$DIR/modbus-tls-load" hold PORT "${id[@]}" 200)
  echo "server memory per open connection (RSS growth with 200 connections, each answered once): plaintext $mp KiB, TLS $mt KiB"
  # An event on the TLS server's loop every 2 ms (standing for a GPIO edge, as in the probe rows below) while a client
  # opens TLS connections back to back: the handshake's signature and key exchange run on the loop. Without a
  # limit, then with the default handshake_rate (10 new TLS clients per second), and 100.
  local rate
  for rate in 0 10 100; do
    PORT=$((PORT + 1))
    "$PYTHON" -c '
import os, sys, time
stop = time.monotonic() + float(sys.argv[1])
time.sleep(0.5)
while time.monotonic() < stop:
    os.write(1, b"T %d\n" % time.monotonic_ns()); time.sleep(0.002)' 5 \
      | "$f" modbus serve --bind 127.0.0.1 --port $PORT --probe-stdin --handshake-rate $rate "${tls[@]}" > /dev/null 2> "$DIR/probe.log" &
    local pid=$!
    pids="$pids $pid"
    wait_port $PORT && "$DIR/modbus-tls-load" handshakes $PORT "${id[@]}" 4 > "$DIR/probe-hs.log" 2> /dev/null || true
    wait $pid 2>/dev/null || true
    echo "event → handler on the TLS server's loop, a client opening TLS connections back to back ($(cut -d' ' -f1 "$DIR/probe-hs.log")/s)," \
         "handshake_rate $([ $rate = 0 ] && echo "unlimited" || echo $rate): $(grep '^probe ' "$DIR/probe.log" || echo "probe failed: $(cat "$DIR/probe.log")")"
  done
}
if [ -z "${MODBUS_BENCH_SKIP_TLS:-}" ] && [ -z "${MODBUS_BENCH_PROBE_ONLY:-}" ] && [ -x "$DIR/modbus-tls-load" ]; then tls_section; fi
[ -n "${MODBUS_BENCH_TLS_ONLY:-}" ] && exit 0

# probe LOAD_CONNECTIONS: our server with misbehaving clients (Bench/modbus_adversaries.py: one byte every 100 ms,
# connect and never send, close mid-frame) and, optionally, the load client at full speed; an event written
# into the server's stdin every 2 ms stands for a GPIO edge on the same loop. Prints its latency.
probe() {
  local load=$1
  PORT=$((PORT + 1))
  "$PYTHON" Bench/modbus_adversaries.py $PORT 5 | "$FIELDAGENT" modbus serve --bind 127.0.0.1 --port $PORT --probe-stdin > /dev/null 2> "$DIR/probe.log" &
  local pid=$!
  pids="$pids $pid"
  if [ "$load" -gt 0 ]; then wait_port $PORT && "$DIR/modbus-load" $PORT "$load" 4 > /dev/null 2>&1 || true; fi
  wait $pid 2>/dev/null || true
  local line
  line=$(grep '^probe ' "$DIR/probe.log" || echo "probe failed: $(cat "$DIR/probe.log")")
  printf "%-40s %s\n" "adversaries$([ "$load" -gt 0 ] && echo " + $load-connection load")" "$line"
}
echo
echo "Event → handler latency on the server's loop (5 s; goal p99 <= 1000 us)"
probe 0
probe 8

# Allocations on the hot path (needs perf with uprobes, as root; skipped otherwise): malloc calls in our server
# while the load client runs over one connection. The few that show are the connection's own setup.
if command -v perf >/dev/null && perf probe -q -x "$(ldconfig -p | awk '/libc.so.6 .*x86-64|libc.so.6 .*AArch64/ {print $NF; exit}')" malloc 2>/dev/null \
   || perf list 2>/dev/null | grep -q probe_libc:malloc; then
  PORT=$((PORT + 1))
  "$FIELDAGENT" modbus serve --bind 127.0.0.1 --port $PORT > /dev/null 2>&1 &
  pid=$!; pids="$pids $pid"
  wait_port $PORT
  "$DIR/modbus-load" $PORT 1 2 > "$DIR/alloc-load.txt" 2>/dev/null &
  load=$!
  perf stat -e probe_libc:malloc -p $pid -o "$DIR/alloc.txt" -- sleep 2.5 2>/dev/null || true
  wait $load || true
  kill $pid 2>/dev/null || true
  mallocs=$(awk '/probe_libc:malloc/ {gsub(",", "", $1); print $1}' "$DIR/alloc.txt")
  rps=$(cat "$DIR/alloc-load.txt" 2>/dev/null || echo 0)
  echo
  echo "Allocations: $mallocs malloc calls in the server during about $((rps * 2)) requests (one connection)"
fi
