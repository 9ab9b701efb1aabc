#!/bin/sh
# Runs inside Platform/pi-vm (Debian trixie arm64, systemd as PID 1, gpio-sim), started by Tests/Pi/run-pi-vm:
# the fieldagent .deb's life on a Pi-like system, once per board: install (no network), the board's example config,
# start under systemd (Type=notify, sandbox, watchdog), press -> lamp through gpio-sim lines, journal priorities,
# watchdog restart, stop -> safe values, upgrade (restart, conffile kept), purge.
#   sh guest-pi.sh DEB UPGRADE_DEB EXAMPLES_DIR BOARD...
# With SELFTEST=path/to/fieldagent-gpio-selftest (arm64), the libgpiod backend's self-test runs on each board's chip first.
# Prints one line per check (`ok: ...` or `FAIL: ...`) and exits non-zero on the first failure.
set -u
deb=$1 updeb=$2 examples=$3
shift 3
[ $# -ge 1 ] || { echo "usage: guest-pi.sh DEB UPGRADE_DEB EXAMPLES_DIR BOARD..."; exit 2; }
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 SYSTEMD_COLORS=0 SYSTEMD_PAGER=
unit=fieldagent.service
log=/tmp/guest-pi
mkdir -p $log

ok() { echo "ok: $*"; }
note() { echo "   $*"; }
fail() {
    echo "FAIL: $*"
    echo "--- systemctl status $unit"; systemctl status --no-pager -l $unit 2>&1 | tail -25
    echo "--- journalctl -u $unit (last 30)"; journalctl --no-pager -o short-monotonic -u $unit -n 30 2>&1
    exit 1
}
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
prop() { systemctl show -p "$1" --value $unit; }
val() { read -r v <"$1" && echo "$v"; } # a sysfs value without a fork
# Waits until `$2` (a shell test) holds, polling every 10 ms, for at most $1 ms; prints the ms it took.
wait_ms() {
    limit=$1 cond=$2 t0=$(ms_now)
    while ! eval "$cond"; do
        [ $(( $(ms_now) - t0 )) -lt "$limit" ] || return 1
        sleep 0.01
    done
    echo $(( $(ms_now) - t0 ))
}

# The boot, from the manager's own timestamps (microseconds since the kernel started); this test's unit is Type=exec,
# so the boot is finished once it runs and systemd-analyze can say so.
timeout 120 systemctl is-system-running --wait >/dev/null || true
multiuser=$(systemctl show -p ActiveEnterTimestampMonotonic --value multi-user.target)
echo "boot: kernel start -> multi-user.target $(awk -v u="$multiuser" 'BEGIN { printf "%.1f s", u / 1e6 }'); $(systemd-analyze time 2>&1 | head -1)"
echo "      $(uname -r), $(nproc) CPUs, systemd $(systemctl --version | awk 'NR == 1 { print $2 }'), $(systemctl is-system-running)"
[ "$(systemctl is-system-running)" = running ] || note "failed units: $(systemctl list-units --failed --no-legend --plain | awk '{ printf "%s ", $1 }')"

# --- gpio-sim chips labelled like the Pi's (PI-FACTS.md), created through configfs before the package exists
modprobe gpiosim || fail "modprobe gpiosim"
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config || fail "cannot mount configfs"
# A chip's lines are driven through /sys/devices/platform/<dev_name>/<chip_name>/sim_gpioN/{pull,value}.
mksim() { # LABEL NLINES
    d=/sys/kernel/config/gpio-sim/$1
    mkdir "$d" "$d/bank0" && echo "$2" >"$d/bank0/num_lines" && echo "$1" >"$d/bank0/label" && echo 1 >"$d/live" ||
        fail "cannot make the gpio-sim chip $1"
}
mksim pinctrl-bcm2711 58     # rpi4, cm4
mksim raspberrypi-exp-gpio 8 # rpi4, cm4: the firmware's expander, a neighbour for lookup by label
mksim pinctrl-rp1 54         # rpi5
mksim pinctrl-bcm2835 54     # rpi3, zero2w
udevadm settle
ok "gpio-sim chips:$(for l in pinctrl-bcm2711 raspberrypi-exp-gpio pinctrl-rp1 pinctrl-bcm2835; do printf ' %s' "$l=$(cat /sys/kernel/config/gpio-sim/$l/bank0/chip_name)"; done)"
note "gpiodetect: $(gpiodetect | awk '{ printf "%s%s", (NR > 1 ? "; " : ""), $0 }')"
note "before the package: $(ls -l /dev/gpiochip* | awk '{ printf "%s%s %s %s:%s", (NR > 1 ? ", " : ""), $NF, $1, $3, $4 }')"
chiplabel() { case $1 in rpi4|cm4) echo pinctrl-bcm2711 ;; rpi5) echo pinctrl-rp1 ;; rpi3|zero2w) echo pinctrl-bcm2835 ;; esac; }

# The libgpiod backend's own checks on each board's chip (lines 30-52; the agent uses 17-27), before any package.
if [ -n "${SELFTEST:-}" ]; then
    for l in $(for b in "$@"; do chiplabel "$b"; done | sort -u); do
        n=$(cat /sys/kernel/config/gpio-sim/$l/bank0/num_lines)
        d=/sys/devices/platform/$(cat /sys/kernel/config/gpio-sim/$l/dev_name)/$(cat /sys/kernel/config/gpio-sim/$l/bank0/chip_name)
        "$SELFTEST" --chip "$l" --lines "$n" --sim "$d" >$log/selftest-$l.txt 2>&1 || { cat $log/selftest-$l.txt; fail "libgpiod self-test on $l"; }
        ok "$(tail -1 $log/selftest-$l.txt)"
    done
fi

version=$(dpkg-deb -f "$deb" Version)
upversion=$(dpkg-deb -f "$updeb" Version)

board_test() {
    b=$1
    label=$(chiplabel "$b")
    [ -n "$label" ] || fail "no gpio-sim chip for board $b"
    chip=$(cat /sys/kernel/config/gpio-sim/$label/bank0/chip_name)
    D=/sys/devices/platform/$(cat /sys/kernel/config/gpio-sim/$label/dev_name)/$chip
    echo "== $b: $label = $chip (gpio-sim, $D)"
    # The inputs at rest: button (GPIO17, active-low, pull-up) released, door (GPIO27) closed.
    echo pull-up >"$D/sim_gpio17/pull"
    echo pull-down >"$D/sim_gpio27/pull"
    systemctl reset-failed $unit 2>/dev/null || true # the start-limit counter of the previous board
    since=@$(date +%s) # this board's journal entries
    sleep 1

    # --- install from the .deb alone: the VM has no network, so apt needs nothing it cannot find installed
    t0=$(ms_now)
    apt-get install -y --no-install-recommends "$deb" >$log/install-$b.txt 2>&1 || { cat $log/install-$b.txt; fail "$b: apt-get install $deb"; }
    st=$(dpkg-query -W -f '${Status} ${Version}' fieldagent 2>/dev/null)
    [ "$st" = "install ok installed $version" ] || fail "$b: after install, dpkg says '$st'"
    ok "$b: apt-get install ./${deb##*/} (no network) in $(( $(ms_now) - t0 )) ms"
    grep -q 'review /etc/fieldagent/fieldagent.yaml' $log/install-$b.txt || { cat $log/install-$b.txt; fail "$b: postinst did not print its first-install hint"; }
    [ "$(systemctl is-enabled $unit)" = enabled ] || fail "$b: not enabled after the first install: $(systemctl is-enabled $unit)"
    [ "$(systemctl is-active $unit)" = inactive ] || fail "$b: started on first install: $(systemctl is-active $unit)"
    ok "$b: first install: enabled, not started"
    groups=$(id -nG fieldagent) || fail "$b: no fieldagent user"
    for g in gpio dialout; do
        case " $groups " in *" $g "*) ;; *) fail "$b: fieldagent is not in group $g: '$groups'" ;; esac
    done
    udevadm settle
    bad=$(stat -c '%n %G %a' /dev/gpiochip* | awk '$2 != "gpio" || $3 != "660"')
    [ -z "$bad" ] || fail "$b: GPIO character devices not root:gpio 0660 after install (udev rule): $bad"
    ok "$b: user fieldagent in groups ($groups); /dev/gpiochip* root:gpio 0660 by 60-fieldagent-gpio.rules"

    # --- the board's example configuration replaces the shipped one
    cfg=/usr/share/doc/fieldagent/examples/$b-basic.yaml
    [ -f "$cfg" ] || cfg=$examples/$b-basic.yaml
    [ -f "$cfg" ] || fail "$b: no example configuration $b-basic.yaml"
    shipped=$(dpkg-query -W -f '${Conffiles}' fieldagent | awk '$1 == "/etc/fieldagent/fieldagent.yaml" { print $2 }')
    [ "$(md5sum </etc/fieldagent/fieldagent.yaml | cut -d' ' -f1)" = "$shipped" ] || fail "$b: /etc/fieldagent/fieldagent.yaml is not the shipped conffile"
    cp "$cfg" /etc/fieldagent/fieldagent.yaml
    /usr/bin/fieldagent check --config /etc/fieldagent/fieldagent.yaml >$log/check-$b.txt 2>&1 || { cat $log/check-$b.txt; fail "$b: fieldagent check"; }
    ok "$b: /etc/fieldagent/fieldagent.yaml (shipped conffile) replaced by $cfg; fieldagent check passes"

    # --- start: Type=notify, so `systemctl start` returns once the agent said READY=1
    t0=$(ms_now)
    systemctl start $unit || fail "$b: systemctl start"
    took=$(( $(ms_now) - t0 ))
    state=$(systemctl is-active $unit)
    [ "$state" = active ] || fail "$b: '$state' right after systemctl start returned"
    status=$(prop StatusText)
    case $status in "$b-basic: "*) ;; *) fail "$b: StatusText is '$status'" ;; esac
    systemctl status --no-pager $unit >$log/status-$b.txt 2>&1
    grep -q "Status: \"$status\"" $log/status-$b.txt || { cat $log/status-$b.txt; fail "$b: systemctl status does not show the STATUS= line"; }
    ok "$b: systemctl start returned after READY in $took ms: active, Status: \"$status\""
    pid=$(prop MainPID)
    user=$(ps -o user= -p "$pid")
    sched=$(chrt -p "$pid" | tr '\n' ' ')
    [ "$user" = fieldagent ] || fail "$b: the agent runs as '$user'"
    case $sched in *SCHED_FIFO*"priority: 10"*) ;; *) fail "$b: scheduling is '$sched'" ;; esac
    inv=$(prop InvocationID)
    journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID="$inv" >$log/j.txt
    grep -q "event=agent.started agent=$b-basic" $log/j.txt || { cat $log/j.txt; fail "$b: no agent.started in the journal"; }
    ok "$b: MainPID $pid runs as fieldagent at SCHED_FIFO 10; journal: $(grep -o 'event=agent.started.*' $log/j.txt)"
    note "$b: the agent's memory on arm64 under systemd: $(awk '/^Vm(RSS|HWM)/ { printf "%s %s kB ", $1, $2 }' /proc/"$pid"/status)"

    # --- the sandboxed service user opened the chip: the lines are the agent's
    gpioinfo -c "$chip" 17 22 24 >$log/gpioinfo-$b.txt 2>&1 || { cat $log/gpioinfo-$b.txt; fail "$b: gpioinfo -c $chip"; }
    for l in 17 22 24; do
        grep -Eq "^($chip $l|[[:space:]]*line +$l:)[[:space:]].*consumer=\"?fieldagent:$b-basic\"?\$" $log/gpioinfo-$b.txt ||
            { cat $log/gpioinfo-$b.txt; fail "$b: line $l of $chip is not held by fieldagent"; }
    done
    ok "$b: through DevicePolicy=closed + DeviceAllow=char-gpiochip, the agent holds $chip ($label) lines 17, 22, 24 (consumer fieldagent:$b-basic):"
    sed 's/^/   /' $log/gpioinfo-$b.txt

    # --- press -> lamp, door -> fan, through the real character device and gpio-sim
    [ "$(val "$D/sim_gpio22/value")" = 0 ] || fail "$b: the lamp (GPIO22) is not at its initial value 0"
    echo pull-down >"$D/sim_gpio17/pull" # press
    ms=$(wait_ms 2000 '[ "$(val "$D/sim_gpio22/value")" = 1 ]') || fail "$b: the lamp (GPIO22) did not turn on within 2 s of the press"
    ok "$b: press (GPIO17 pulled low) -> lamp (GPIO22) = 1 in $ms ms (measured by the shell, 10 ms polls)"
    echo pull-up >"$D/sim_gpio17/pull" # release (button falls: fan off), settled before the door opens
    sleep 0.5
    echo pull-up >"$D/sim_gpio27/pull" # the door opens
    ms=$(wait_ms 2000 '[ "$(val "$D/sim_gpio24/value")" = 1 ]') || fail "$b: the fan (GPIO24) did not turn on within 2 s of the door opening"
    echo pull-down >"$D/sim_gpio27/pull"
    ok "$b: door (GPIO27) opens -> fan (GPIO24) = 1 in $ms ms"

    # --- journal priorities: the agent's <N> prefixes become the entries' priorities
    j="journalctl --no-pager -o cat -u $unit --since $since"
    $j >$log/all-$b.txt
    $j -p warning >$log/warn-$b.txt
    ninfo=$($j -p info..info | grep -c '^level=info ')
    nnotice=$($j -p notice..notice | grep -c '^level=notice ')
    [ "$ninfo" -gt 0 ] && [ "$nnotice" -gt 0 ] || { cat $log/all-$b.txt; fail "$b: level=info/notice lines are not at priorities info/notice in the journal"; }
    ! grep -q '^<[0-7]>' $log/all-$b.txt || fail "$b: the journal keeps the <N> prefixes: journald did not parse them"
    ! grep -Eq 'level=(debug|info|notice) ' $log/warn-$b.txt || { cat $log/warn-$b.txt; fail "$b: journalctl -p warning shows info/notice lines"; }
    ok "$b: journalctl -p warning -u fieldagent: $(wc -l <$log/warn-$b.txt) lines, no level=info/notice ones (the agent's <N> prefixes: $ninfo level=info lines at priority info, $nnotice level=notice at notice)"

    # --- watchdog: a stopped agent stops pinging; systemd kills it (WatchdogSec=10s) and restarts it (Restart=on-failure)
    pid=$(prop MainPID)
    restarts=$(prop NRestarts)
    t0=$(ms_now)
    kill -STOP "$pid"
    ms=$(wait_ms 60000 '[ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ] && [ "$(systemctl is-active $unit)" = active ]') ||
        fail "$b: no restart within 60 s of SIGSTOP to $pid"
    newpid=$(prop MainPID)
    journalctl --no-pager -o cat -u $unit --since $since >$log/wd-$b.txt
    grep -qi 'watchdog timeout' $log/wd-$b.txt || { tail -20 $log/wd-$b.txt; fail "$b: the journal has no watchdog timeout"; }
    [ "$(prop NRestarts)" = $(( restarts + 1 )) ] || fail "$b: NRestarts went from $restarts to $(prop NRestarts)"
    ok "$b: SIGSTOP -> watchdog timeout -> restarted by systemd in $(( ms / 1000 )).$(( ms % 1000 / 100 )) s: MainPID $pid -> $newpid, NRestarts $((restarts + 1))"
    note "$(grep -i 'watchdog timeout' $log/wd-$b.txt | tail -1)"

    # --- stop drives the safe values: lamp on (safe off), fan off (safe on), then stop. gpio-sim lets a released line
    # fall back to its pull (0), so the values cannot be read after the stop (a Pi's pinctrl keeps them); the kernel's
    # gpio_value trace events record every value the agent writes, the journal what the agent says it drove.
    [ "$(val "$D/sim_gpio22/value")" = 0 ] && [ "$(val "$D/sim_gpio24/value")" = 0 ] || fail "$b: lamp and fan not at their initial 0 after the restart"
    i=0
    while [ $i -lt 20 ]; do # 20 presses (even: the lamp ends where it was) for the agent's latency figure
        echo pull-down >"$D/sim_gpio17/pull"; sleep 0.05; echo pull-up >"$D/sim_gpio17/pull"; sleep 0.05
        i=$((i + 1))
    done
    echo pull-down >"$D/sim_gpio17/pull"
    wait_ms 2000 '[ "$(val "$D/sim_gpio22/value")" = 1 ]' >/dev/null || fail "$b: the lamp did not turn on before the stop check"
    echo pull-up >"$D/sim_gpio17/pull"
    sleep 0.3
    [ "$(val "$D/sim_gpio24/value")" = 0 ] || fail "$b: fan not 0 before stop"
    inv=$(prop InvocationID)
    # The lines' global numbers: the chip's base (debugfs) + offset.
    base=$(sed -n "s/^$chip: GPIOs \([0-9]*\)-.*/\1/p" /sys/kernel/debug/gpio)
    [ -n "$base" ] || { cat /sys/kernel/debug/gpio; fail "$b: no base for $chip in /sys/kernel/debug/gpio"; }
    lamp=$((base + 22)) fan=$((base + 24))
    T=/sys/kernel/tracing
    [ -d $T/events/gpio/gpio_value ] || fail "$b: no gpio_value trace event in $T"
    echo >$T/trace
    echo 1 >$T/events/gpio/gpio_value/enable
    echo 1 >$T/tracing_on
    t0=$(ms_now)
    systemctl stop $unit || fail "$b: systemctl stop"
    took=$(( $(ms_now) - t0 ))
    echo 0 >$T/events/gpio/gpio_value/enable
    grep -E "gpio_value: ($lamp|$fan) set" $T/trace | sed 's/^ *//' >$log/trace-$b.txt
    journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID="$inv" >$log/stop-$b.txt
    grep -q 'event=output.changed output=lamp value=0 cause="safe state: SIGTERM"' $log/stop-$b.txt || { cat $log/stop-$b.txt; fail "$b: the lamp was not driven to its safe value (off) on stop"; }
    grep -q 'event=output.changed output=fan value=1 cause="safe state: SIGTERM"' $log/stop-$b.txt || { cat $log/stop-$b.txt; fail "$b: the fan was not driven to its safe value (on) on stop"; }
    # confirmed_safe=N/N since the agent reads its safe values back; outputs_safe=N in packages built before that.
    stopped=$(grep -Eo 'event=agent.stopped reason=SIGTERM (confirmed_safe=3/3|outputs_safe=3) .*' $log/stop-$b.txt) ||
        { cat $log/stop-$b.txt; fail "$b: no agent.stopped reason=SIGTERM confirmed_safe=3/3"; }
    ok "$b: systemctl stop ($took ms): journal: lamp -> 0 and fan -> 1 \"safe state: SIGTERM\"; $stopped"
    last_lamp=$(grep "gpio_value: $lamp set" $log/trace-$b.txt | tail -1 | awk '{ print $NF }')
    last_fan=$(grep "gpio_value: $fan set" $log/trace-$b.txt | tail -1 | awk '{ print $NF }')
    [ "$last_lamp" = 0 ] && [ "$last_fan" = 1 ] || { cat $log/trace-$b.txt; fail "$b: the kernel saw lamp=$last_lamp fan=$last_fan as the last values written before the release (safe: 0, 1)"; }
    [ "$(val "$D/sim_gpio24/value")" = 0 ] || fail "$b: the fan line still reads 1 after the stop: not released"
    ok "$b: the kernel's gpio_value events: the last values written to lamp (GPIO22, global number $lamp) and fan (GPIO24, $fan) before the release were 0 and 1 (the safe ones); then released:"
    sed 's/^/   /' $log/trace-$b.txt
    echo "   latency on $b (agent: kernel edge timestamp -> output written; emulated CPU, relative only): $(echo "$stopped" | sed -n 's/.*edge_to_output="\([^"]*\)".*/\1/p')"
    [ "$(systemctl is-active $unit)" = inactive ] || fail "$b: '$(systemctl is-active $unit)' after stop"

    # --- upgrade while running: the new package restarts the service and keeps the edited conffile
    systemctl start $unit || fail "$b: systemctl start before the upgrade"
    pid=$(prop MainPID)
    echo "# edited on the pi-vm before the upgrade to $upversion" >>/etc/fieldagent/fieldagent.yaml
    sum=$(md5sum </etc/fieldagent/fieldagent.yaml)
    t0=$(ms_now)
    apt-get install -y --no-install-recommends "$updeb" >$log/upgrade-$b.txt 2>&1 || { cat $log/upgrade-$b.txt; fail "$b: apt-get install $updeb"; }
    took=$(( $(ms_now) - t0 ))
    [ "$(dpkg-query -W -f '${Version}' fieldagent)" = "$upversion" ] || fail "$b: version after upgrade is $(dpkg-query -W -f '${Version}' fieldagent)"
    newpid=$(prop MainPID)
    [ "$(systemctl is-active $unit)" = active ] || fail "$b: '$(systemctl is-active $unit)' after the upgrade"
    [ "$newpid" != "$pid" ] && [ "$newpid" != 0 ] || fail "$b: the upgrade did not restart the service (MainPID $pid -> $newpid)"
    [ "$(md5sum </etc/fieldagent/fieldagent.yaml)" = "$sum" ] || fail "$b: the upgrade changed the edited /etc/fieldagent/fieldagent.yaml"
    ! ls /etc/fieldagent/*.dpkg-* >/dev/null 2>&1 || fail "$b: the upgrade left $(ls /etc/fieldagent/*.dpkg-*)"
    [ "$(systemctl is-enabled $unit)" = enabled ] || fail "$b: not enabled after the upgrade"
    ok "$b: upgrade $version -> $upversion ($took ms): restarted (MainPID $pid -> $newpid), active, edited conffile kept"

    # --- purge: package, unit, configuration and state gone, the agent stopped
    apt-get purge -y fieldagent >$log/purge-$b.txt 2>&1 || { cat $log/purge-$b.txt; fail "$b: apt-get purge fieldagent"; }
    st=$(dpkg-query -W -f '${Status}' fieldagent 2>/dev/null || echo absent)
    case $st in absent|"unknown ok not-installed"|"deinstall ok not-installed") ;; *) fail "$b: after purge dpkg says '$st'" ;; esac
    for f in /etc/fieldagent /usr/lib/systemd/system/fieldagent.service /lib/systemd/system/fieldagent.service /usr/bin/fieldagent /var/lib/fieldagent; do
        [ ! -e "$f" ] || fail "$b: $f is still there after purge"
    done
    ! systemctl list-unit-files --no-legend $unit | grep -q fieldagent || fail "$b: systemd still lists $unit after purge"
    ! pgrep -x fieldagent >/dev/null || fail "$b: a fieldagent process survived the purge"
    ok "$b: apt-get purge: package, unit, /etc/fieldagent and /var/lib/fieldagent gone, no agent running"
}

for b in "$@"; do
    board_test "$b"
done
echo "ALL PI VM TESTS PASSED ($*)"
