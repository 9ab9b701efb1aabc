#!/bin/sh
# Checks the unit files in Systemd/ with systemd's own tools, without a running systemd:
#   1. `systemd-analyze security --offline=true` exposure <= 2.0 (threshold 20 is in tenths),
#   2. `systemd-analyze verify` finds no unknown keys or bad values (the binary is replaced by /bin/true),
#   3. `systemd-sysusers --root` creates the fieldagent user in the gpio and dialout groups.
# Run by `make check-systemd` (part of `make test`). Needs systemd >= 250 for --offline (Debian 12 has 252).
set -eu
cd "$(dirname "$0")"
here=$(pwd)
unit=fieldagent.service
threshold=${THRESHOLD:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v systemd-analyze >/dev/null || { echo "check-unit: systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }

# 1. Exposure score.
if ! systemd-analyze security --offline=true --threshold="$threshold" "$unit" >"$tmp/security" 2>&1; then
    grep -v '^✓' "$tmp/security" >&2 || true
    echo "check-unit: $unit exposure is over $threshold/10 (or systemd-analyze failed), see above" >&2
    exit 1
fi
grep 'Overall exposure level' "$tmp/security" | sed 's/^→ */check-unit: /'

# 2. Syntax and values. verify insists that ExecStart's binary exists, so point it at /bin/true.
sed 's#/usr/bin/fieldagent#/bin/true#g' "$unit" >"$tmp/$unit"
systemd-analyze verify --man=no "$tmp/$unit" >"$tmp/verify" 2>&1 || true
if [ -s "$tmp/verify" ]; then
    cat "$tmp/verify" >&2
    echo "check-unit: systemd-analyze verify complained about $unit" >&2
    exit 1
fi
echo "check-unit: systemd-analyze verify: no complaints"

# 3. The system user, created in an empty root.
if command -v systemd-sysusers >/dev/null; then
    mkdir -p "$tmp/root/etc"
    systemd-sysusers --root="$tmp/root" "$here/fieldagent.sysusers.conf" >/dev/null 2>&1
    grep -q '^fieldagent:.*:/usr/sbin/nologin$' "$tmp/root/etc/passwd" || { echo "check-unit: sysusers did not create user fieldagent" >&2; exit 1; }
    for g in gpio dialout; do
        grep -q "^$g:x:[0-9]*:fieldagent\$" "$tmp/root/etc/group" || { echo "check-unit: fieldagent is not in group $g" >&2; exit 1; }
    done
    echo "check-unit: sysusers: user fieldagent in groups gpio, dialout"
fi
