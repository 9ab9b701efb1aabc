#!/bin/sh
# make bench-ml: per compiled-in model its arena, flash (constant bytes) and latency on this machine (median of
# `fieldagent predict --model NAME --repeat N`, release build), then the cost of the behaviour features and scoring
# of `security:` on a real agent: its Modbus server flooded on loopback by mbpoll for a few seconds, the costs read
# back from `fieldagent status` (measured in the agent, around the per-request update and the per-window scoring).
set -eu
BIN=${1:-.build/release/fieldagent}
REPEAT=${REPEAT:-100000}
VECTOR="0.25 0.8 3.2 3.0 0.1 25 48 0.2 8 1.5 1480 0.86"
BEHAVIOUR="4 0 0 0 2 0 0 1"   # a peer polling two blocks every 500 ms: the security: features of m2m_behaviour

echo "models (fieldagent model; latency: fieldagent predict --model NAME --repeat $REPEAT, median, on $(uname -m))"
printf '%-18s %-11s %8s %8s %12s\n' model kind arena flash latency
"$BIN" model | tail -n +2 | while read -r name kind io arena flash rest; do
    case "$io" in 8→*) vector=$BEHAVIOUR ;; *) vector=$VECTOR ;; esac
    latency=$("$BIN" predict --model "$name" --repeat "$REPEAT" $vector | sed -n 's/^latency *//p' | cut -d' ' -f1-2)
    printf '%-18s %-11s %7sB %7sB %12s\n' "$name" "$kind" "$arena" "$flash" "$latency"
done

command -v mbpoll >/dev/null || { echo "mbpoll missing (make deps): skipping the security cost"; exit 0; }
dir=$(mktemp -d)
trap 'kill $agent 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$dir/guarded.yaml" <<YAML
board: sim
name: bench-guard
outputs:
  - {name: lamp, pin: GPIO22}
server: {bind: 127.0.0.1, port: $port}
security: {learn: 3s, window: 1s}
YAML
"$BIN" run --config "$dir/guarded.yaml" --gpio mock --status-socket "$dir/status.sock" --log-level warning 2>"$dir/agent.log" &
agent=$!
sleep 1
for i in 1 2 3 4; do timeout 6 mbpoll -m tcp -p "$port" -t 4 -r 1 -c 36 -l 11 127.0.0.1 >/dev/null 2>&1 & done
timeout 6 mbpoll -m tcp -p "$port" -t 3 -r 200 -c 10 -l 11 127.0.0.1 >/dev/null 2>&1 &   # a reader of unmapped addresses
wait_for=7; sleep $wait_for
echo
echo "security: behaviour features and scoring (fieldagent run with security:, 5 mbpoll clients on loopback for 6 s)"
"$BIN" status --socket "$dir/status.sock" | sed -n '/^security:/,/^latency:/p' | grep -v '^latency:'
grep -c 'security.quarantined' "$dir/agent.log" | sed 's/^/quarantine log lines: /'
