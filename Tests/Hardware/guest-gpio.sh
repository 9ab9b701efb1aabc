# Runs inside gpio-vm (real kernel, gpio-sim): the libgpiod backend's own checks (fieldagent-gpio-selftest), the
# backend through `fieldagent gpio`, and the agent itself on every board's chip, found by label. Prints one line per
# check; exits non-zero on the first failure.
set -u
FA=/opt/fieldagent
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# The header chips of every board in Boards/ (labels and line counts from PI-FACTS.md), plus the Pi 4's second
# chip so that lookup by label has a neighbour to skip. Boards sharing a label share the chip.
D4=$(mksim pinctrl-bcm2711 58)     # rpi4, cm4
DX=$(mksim raspberrypi-exp-gpio 8) # rpi4, cm4: the firmware's expander
D5=$(mksim pinctrl-rp1 54)         # rpi5
D3=$(mksim pinctrl-bcm2835 54)     # rpi3, zero2w
chipdir() { case $1 in rpi4|cm4) echo $D4 ;; rpi5) echo $D5 ;; rpi3|zero2w) echo $D3 ;; esac; }

# The libgpiod backend's own checks, once per header chip label (lines 30-52; the agent below uses 17-27)
/opt/fieldagent-gpio-selftest --chip pinctrl-bcm2711 --lines 58 --sim $D4 || fail "libgpiod self-test on pinctrl-bcm2711"
/opt/fieldagent-gpio-selftest --chip pinctrl-rp1 --lines 54 --sim $D5 || fail "libgpiod self-test on pinctrl-rp1"
/opt/fieldagent-gpio-selftest --chip pinctrl-bcm2835 --lines 54 --sim $D3 || fail "libgpiod self-test on pinctrl-bcm2835"
$FA gpio detect > /tmp/detect.txt
for l in pinctrl-bcm2711 raspberrypi-exp-gpio pinctrl-rp1 pinctrl-bcm2835; do
  grep -q "$l" /tmp/detect.txt || { cat /tmp/detect.txt; fail "gpio detect does not list $l"; }
done
ok "gpio detect lists the chips by label"

# get: the simulated pull decides the input's level; --active-low inverts it
echo pull-up > $D4/sim_gpio17/pull
[ "$($FA gpio get --board rpi4 GPIO17)" = "GPIO17 1" ] || fail "gpio get GPIO17 after pull-up"
[ "$($FA gpio get --board rpi4 --active-low header.11)" = "header.11 0" ] || fail "gpio get --active-low"
echo pull-down > $D4/sim_gpio17/pull
[ "$($FA gpio get --board rpi4 GPIO17)" = "GPIO17 0" ] || fail "gpio get GPIO17 after pull-down"
ok "gpio get reads levels (and active-low) on rpi4"

# set: the line is driven while held
$FA gpio set --board rpi5 GPIO27=1 --hold 2 >/dev/null &
sleep 1
[ "$(cat $D5/sim_gpio27/value)" = 1 ] || fail "gpio set GPIO27=1 on rpi5: gpio-sim reads $(cat $D5/sim_gpio27/value)"
wait
ok "gpio set drives a line on rpi5 (pinctrl-rp1 found by label)"

# monitor: both edges, kernel timestamps in order
$FA gpio monitor --board rpi4 --count 4 GPIO22 > /tmp/mon.txt &
sleep 1
for p in pull-up pull-down pull-up pull-down; do echo $p > $D4/sim_gpio22/pull; sleep 0.2; done
wait
[ "$(grep -c rising /tmp/mon.txt)" = 2 ] && [ "$(grep -c falling /tmp/mon.txt)" = 2 ] || { cat /tmp/mon.txt; fail "monitor did not see 2 rising + 2 falling"; }
sort -c -n /tmp/mon.txt || fail "edge timestamps out of order"
ok "gpio monitor sees both edges with ordered kernel timestamps"

# a busy line: a second request fails with a clear error
$FA gpio set --board rpi4 GPIO5=1 --hold 3 >/dev/null &
sleep 1
out=$($FA gpio get --board rpi4 GPIO5 2>&1) && fail "second request of a busy line succeeded"
echo "$out" | grep -q busy || fail "busy line error does not say busy: $out"
wait
ok "a busy line is refused: $out"

# the agent on each board: button (GPIO17, active-low, pull-up) toggles the lamp (GPIO22); SIGTERM -> safe states.
# rpi4 and rpi5 run their example configs; the other boards run the rpi4 example with its board: line changed
# (what moving a config to another board takes).
for b in rpi3 zero2w cm4; do
  sed "s/^board: rpi4\$/board: $b/; s/^name: rpi4-basic\$/name: $b-basic/" /tmp/cfg/rpi4-basic.yaml > /tmp/cfg/$b-basic.yaml
  grep -q "^board: $b\$" /tmp/cfg/$b-basic.yaml || fail "no config generated for $b"
done
for b in rpi4 rpi5 rpi3 zero2w cm4; do
  D=$(chipdir $b)
  echo pull-up > $D/sim_gpio17/pull; echo pull-down > $D/sim_gpio27/pull
  $FA run --config /tmp/cfg/$b-basic.yaml 2>/tmp/$b.log &
  pid=$!
  sleep 1.5
  [ "$(cat $D/sim_gpio22/value)" = 0 ] || fail "$b: lamp not at its initial value"
  echo pull-down > $D/sim_gpio17/pull     # press
  t=0; while [ "$(cat $D/sim_gpio22/value)" != 1 ] && [ $t -lt 50 ]; do sleep 0.02; t=$((t+1)); done
  [ "$(cat $D/sim_gpio22/value)" = 1 ] || fail "$b: the lamp did not turn on within 1 s of the press"
  echo pull-up > $D/sim_gpio27/pull       # door opens: fan on
  t=0; while [ "$(cat $D/sim_gpio24/value)" != 1 ] && [ $t -lt 50 ]; do sleep 0.02; t=$((t+1)); done
  [ "$(cat $D/sim_gpio24/value)" = 1 ] || fail "$b: the fan did not turn on"
  echo pull-up > $D/sim_gpio17/pull       # release: rule 4, fan off
  t=0; while [ "$(cat $D/sim_gpio24/value)" != 0 ] && [ $t -lt 50 ]; do sleep 0.02; t=$((t+1)); done
  [ "$(cat $D/sim_gpio24/value)" = 0 ] || fail "$b: the fan did not turn off"
  # 100 more presses for a latency figure (kernel edge timestamp -> output written; emulated CPU, relative only)
  i=0; while [ $i -lt 100 ]; do echo pull-down > $D/sim_gpio17/pull; sleep 0.01; echo pull-up > $D/sim_gpio17/pull; sleep 0.01; i=$((i+1)); done
  sleep 0.2
  kill -TERM $pid; wait $pid; rc=$?
  [ $rc = 0 ] || fail "$b: exit status $rc after SIGTERM"
  # gpio-sim lets a released line fall back to its pull, so the safe values cannot be read after exit (a Pi's
  # pinctrl keeps them); the agent's log shows it drove them before releasing the lines.
  grep -q 'event=output.changed output=fan value=1 cause="safe state: SIGTERM"' /tmp/$b.log || { cat /tmp/$b.log; fail "$b: fan not driven to its safe value (on) on SIGTERM"; }
  grep -q 'event=agent.stopped reason=SIGTERM confirmed_safe=3/3' /tmp/$b.log || { cat /tmp/$b.log; fail "$b: no agent.stopped with 3/3 confirmed after SIGTERM"; }
  echo "latency on $b (gpio-sim in QEMU): $(sed -n 's/.*edge_to_output="\([^"]*\)".*/\1/p' /tmp/$b.log)"
  ok "agent on $b: press -> lamp on, door -> fan on, release -> fan off, SIGTERM -> safe values driven"
done
# Outputs end safe even when the agent dies: SIGKILL with the lamp on and the fan off (both not safe), then what
# systemd's ExecStopPost runs. gpio-sim returns a released line to its pull, so the levels are read while
# `fieldagent safe --hold` still holds the lines.
D=$(chipdir rpi4)
echo pull-up > $D/sim_gpio17/pull; echo pull-down > $D/sim_gpio27/pull
$FA run --config /tmp/cfg/rpi4-basic.yaml 2>/tmp/killed.log &
pid=$!
sleep 1.5
echo pull-down > $D/sim_gpio17/pull     # press: lamp on
t=0; while [ "$(cat $D/sim_gpio22/value)" != 1 ] && [ $t -lt 50 ]; do sleep 0.02; t=$((t+1)); done
[ "$(cat $D/sim_gpio22/value)" = 1 ] && [ "$(cat $D/sim_gpio24/value)" = 0 ] || fail "killed agent: lamp not on, or fan not off, before the kill"
kill -KILL $pid; wait $pid 2>/dev/null
$FA safe --config /tmp/cfg/rpi4-basic.yaml --hold 2 > /tmp/safe.txt 2>&1 &
spid=$!
sleep 1
lamp=$(cat $D/sim_gpio22/value); fan=$(cat $D/sim_gpio24/value); buzzer=$(cat $D/sim_gpio23/value)
wait $spid; rc=$?
[ $rc = 0 ] || { cat /tmp/safe.txt; fail "fieldagent safe after SIGKILL: exit $rc"; }
[ "$lamp$buzzer$fan" = 001 ] || { cat /tmp/safe.txt; fail "after SIGKILL, fieldagent safe drove lamp=$lamp buzzer=$buzzer fan=$fan, expected 0 0 1"; }
grep -q '3 of 3 actuators confirmed at the safe value' /tmp/safe.txt || { cat /tmp/safe.txt; fail "fieldagent safe did not confirm 3 of 3"; }
ok "agent killed with SIGKILL (lamp on, fan off): fieldagent safe drove and read back lamp=0 buzzer=0 fan=1"
echo "ALL HARDWARE TESTS PASSED"
