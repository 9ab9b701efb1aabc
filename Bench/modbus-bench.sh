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
if [ -z "${MODBUS_BENCH_PROBE_ONLY:-}" ]; then
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
