#!/bin/sh
# Lists and validates a built fieldagent .deb: control fields, expected files, conffile, stripped binary,
# root ownership, the unit identical to Systemd/fieldagent.service, then lintian when it is installed.
# Usage: check-deb.sh dist/fieldagent_<version>_<arch>.deb   (`make check-deb` builds and runs it)
set -eu
deb=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-deb: $*" >&2; exit 1; }

echo "== dpkg-deb -I $deb"
dpkg-deb -I "$deb"
echo "== dpkg-deb -c $deb"
dpkg-deb -c "$deb" | tee "$tmp/contents"

for f in ./usr/bin/fieldagent ./usr/lib/systemd/system/fieldagent.service ./usr/lib/sysusers.d/fieldagent.conf \
         ./usr/lib/udev/rules.d/60-fieldagent-gpio.rules ./etc/fieldagent/fieldagent.yaml ./usr/share/fieldagent/boards/ \
         ./usr/share/doc/fieldagent/README.md ./usr/share/doc/fieldagent/copyright ./usr/share/man/man1/fieldagent.1.gz \
         ./usr/share/doc/fieldagent/examples/line-a.yaml ./usr/share/doc/fieldagent/scenarios/two-lines.yaml; do
    awk '{print $6}' "$tmp/contents" | grep -qx "$f" || fail "missing $f"
done
awk '$2 != "root/root" { print; bad = 1 } END { exit bad }' "$tmp/contents" || fail "files not owned by root/root (above)"

dpkg-deb -e "$deb" "$tmp/DEBIAN"
grep -qx /etc/fieldagent/fieldagent.yaml "$tmp/DEBIAN/conffiles" || fail "fieldagent.yaml is not a conffile"
for field in Package Version Architecture Maintainer Installed-Size Depends Description; do
    grep -q "^$field: " "$tmp/DEBIAN/control" || fail "control has no $field"
done
depends=$(sed -n 's/^Depends: //p' "$tmp/DEBIAN/control")
for lib in libgpiod libmodbus5 libyaml-0-2 libssl3 libmosquitto1 libc6; do
    case "$depends" in *"$lib"*) ;; *) fail "Depends lacks $lib: $depends" ;; esac
done
# The libgpiod package must be the one the binary links: libgpiod2 for libgpiod.so.2 (1.6), libgpiod3 for .so.3 (2.x).
dpkg-deb -x "$deb" "$tmp/bin-root"
soname=$(readelf -dW "$tmp/bin-root/usr/bin/fieldagent" | sed -n 's/.*NEEDED.*\[libgpiod\.so\.\([0-9]*\)\]/\1/p')
case "$depends" in *"libgpiod$soname"*) ;; *) fail "the binary needs libgpiod.so.$soname but Depends says: $depends" ;; esac
# OpenSSL and libmosquitto are loaded with dlopen when a config uses TLS or the uplink: never linked (an agent
# without them must not map them), named in the binary's dlopen notes, and still in Depends (checked above).
if readelf -dW "$tmp/bin-root/usr/bin/fieldagent" | grep -E 'NEEDED.*\[(libssl|libcrypto|libmosquitto)\.'; then
    fail "the binary links OpenSSL or libmosquitto (above); they are loaded with dlopen when used"
fi
for so in libssl.so.3 libmosquitto.so.1; do
    strings -a "$tmp/bin-root/usr/bin/fieldagent" | grep -q "\"soname\":\\[\"$so\"\\]" || fail "no dlopen note names $so"
done
case $(sed -n 's/^Architecture: //p' "$tmp/DEBIAN/control") in
    arm64) Platform/check-binary "$tmp/bin-root/usr/bin/fieldagent" aarch64 ;;
    amd64) Platform/check-binary "$tmp/bin-root/usr/bin/fieldagent" x86_64 ;;
esac
for s in postinst prerm postrm; do
    [ -x "$tmp/DEBIAN/$s" ] || fail "no executable $s"
    sh -n "$tmp/DEBIAN/$s" || fail "$s has a syntax error"
done

dpkg-deb -x "$deb" "$tmp/root"
if readelf -S "$tmp/root/usr/bin/fieldagent" | grep -q '\.symtab'; then fail "usr/bin/fieldagent is not stripped"; fi
cmp -s Systemd/fieldagent.service "$tmp/root/usr/lib/systemd/system/fieldagent.service" || fail "the packaged unit differs from Systemd/fieldagent.service"
# The packaged binary runs (same architecture only).
if [ "$(dpkg --print-architecture)" = "$(sed -n 's/^Architecture: //p' "$tmp/DEBIAN/control")" ]; then
    "$tmp/root/usr/bin/fieldagent" --version >/dev/null || fail "the packaged binary does not run"
fi
zcat "$tmp/root/usr/share/man/man1/fieldagent.1.gz" | grep -q '^\.TH FIELDAGENT 1' || fail "man page has no .TH header"

if command -v lintian >/dev/null; then
    echo "== lintian"
    lintian --fail-on error --suppress-tags-from-file Packaging/lintian-overrides.txt "$deb" || fail "lintian reported errors"
else
    echo "check-deb: lintian not installed, skipped (apt-get install lintian)"
fi
echo "check-deb: $deb OK"
