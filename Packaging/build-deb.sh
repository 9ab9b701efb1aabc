#!/bin/sh
# Builds dist/fieldagent_<version>_<arch>.deb with dpkg-deb from an already built release binary.
# Usage: build-deb.sh BINARY VERSION ARCH DEFAULT_CONFIG OUTDIR   (run from the repository root; `make deb` does)
# A cross-built BINARY (ARCH is not the host's) needs DEB_SYSROOT, the sysroot it was linked against (for its
# Depends), and runs through qemu-user (binfmt_misc, QEMU_LD_PREFIX) for --version and the man page.
#
# Layout (merged /usr: Debian 12 and 13, Raspberry Pi OS bookworm and trixie):
#   /usr/bin/fieldagent                       stripped binary
#   /usr/lib/systemd/system/fieldagent.service    unit
#   /usr/lib/sysusers.d/fieldagent.conf       system user fieldagent in groups gpio, dialout
#   /usr/lib/udev/rules.d/60-fieldagent-gpio.rules
#   /etc/fieldagent/fieldagent.yaml           conffile (kept on upgrade when edited)
#   /usr/share/fieldagent/boards/             board definitions
#   /usr/share/doc/fieldagent/                README.md, copyright, changelog.gz
#   /usr/share/man/man1/fieldagent.1.gz       generated from the binary's --help texts
set -eu
bin=$1 version=$2 arch=$3 config=$4 out=$5
pkg=fieldagent_${version}_${arch}
stage=.build/deb/$pkg
maintainer=${DEB_MAINTAINER:-FieldAgent maintainers <fieldagent@example.org>}
homepage=${DEB_HOMEPAGE:-https://example.invalid/fieldagent}
# Dates from the last commit, so that two builds of one commit give the same files.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH=$epoch

[ -x "$bin" ] || { echo "build-deb: $bin not found; run 'make build' first" >&2; exit 1; }
built=$("$bin" --version 2>/dev/null | awk '{print $2}')
[ "$built" = "$version" ] || { echo "build-deb: $bin says version '$built', expected '$version'" >&2; exit 1; }

rm -rf "$stage"
mkdir -p "$stage/DEBIAN"

install -d "$stage/usr/bin"
# The host's strip knows only the host's CPU; llvm's objcopy (in the Swift toolchain) knows every one.
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
    strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$stage/usr/bin/fieldagent" "$bin"
else
    objcopy=$(command -v llvm-objcopy || command -v llvm-strip || true)
    [ -n "$objcopy" ] || { echo "build-deb: no llvm-objcopy to strip a $arch binary (it comes with the Swift toolchain)" >&2; exit 1; }
    "$objcopy" --strip-unneeded --remove-section=.comment --remove-section=.note "$bin" "$stage/usr/bin/fieldagent"
fi
chmod 0755 "$stage/usr/bin/fieldagent"

install -D -m 0644 Systemd/fieldagent.service "$stage/usr/lib/systemd/system/fieldagent.service"
install -D -m 0644 Systemd/fieldagent.sysusers.conf "$stage/usr/lib/sysusers.d/fieldagent.conf"
install -D -m 0644 Systemd/60-fieldagent-gpio.rules "$stage/usr/lib/udev/rules.d/60-fieldagent-gpio.rules"
install -D -m 0644 "$config" "$stage/etc/fieldagent/fieldagent.yaml"

install -d "$stage/usr/share/fieldagent/boards"
if [ -n "$(ls -A Boards 2>/dev/null)" ]; then cp -r Boards/. "$stage/usr/share/fieldagent/boards/"; fi

doc=$stage/usr/share/doc/fieldagent
install -D -m 0644 README.md "$doc/README.md"
install -m 0644 Packaging/copyright "$doc/copyright"
# Example configs (the two-line peer setup, per-board basics) and HIL scenarios, to copy into /etc/fieldagent.
install -d "$doc/examples" "$doc/scenarios"
install -m 0644 Examples/*.yaml "$doc/examples/"
install -m 0644 Scenarios/*.yaml "$doc/scenarios/"
date_r=$(date -R -u -d "@$epoch")
printf 'fieldagent (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- %s  %s\n' \
    "$version" "$(git describe --always --dirty 2>/dev/null || echo 'a source tree')" "$maintainer" "$date_r" \
    | gzip -9n >"$doc/changelog.gz"

install -d "$stage/usr/share/man/man1"
Packaging/make-manpage.sh "$bin" "$version" "$(date -u -d "@$epoch" +%Y-%m-%d)" | gzip -9n >"$stage/usr/share/man/man1/fieldagent.1.gz"

# Runtime dependencies from the binary's dynamic libraries: dpkg-shlibdeps for a native build (it wants a
# debian/control to read), the sysroot's shlibs files for a cross build. The libraries it loads with dlopen
# (OpenSSL for TLS, libmosquitto for the uplink; named in its .note.dlopen) are Depends too: they are features of
# the product, only not mapped by an agent whose config does not use them.
if [ -n "${DEB_SYSROOT:-}" ]; then
    depends=$(Packaging/shlib-depends "$stage/usr/bin/fieldagent" "$DEB_SYSROOT")
else
    shlibs=.build/deb/shlibs
    rm -rf "$shlibs" && mkdir -p "$shlibs/debian"
    printf 'Source: fieldagent\n\nPackage: fieldagent\nArchitecture: any\n' >"$shlibs/debian/control"
    abs_bin=$(cd "$stage/usr/bin" && pwd)/fieldagent
    if depends=$(cd "$shlibs" && dpkg-shlibdeps -O "$abs_bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p') && [ -n "$depends" ]; then
        # dpkg-shlibdeps sees the linked libraries only; OpenSSL and libmosquitto are loaded with dlopen.
        depends="$depends, $(Packaging/shlib-depends --dlopened "$stage/usr/bin/fieldagent" /)"
    else
        # The libgpiod package is named after its soname: libgpiod2 (1.6, bookworm), libgpiod3 (2.x, trixie).
        gpiod=$(readelf -dW "$bin" | sed -n 's/.*NEEDED.*\[libgpiod\.so\.\([0-9]*\)\]/libgpiod\1/p')
        echo "build-deb: dpkg-shlibdeps failed; using the known library list" >&2
        # OpenSSL 3: libssl3 (bookworm), libssl3t64 (trixie, after the 64-bit time_t transition).
        ssl=$(dpkg-query -W -f '${Package}\n' 'libssl3*' 2>/dev/null | grep -m1 -E '^libssl3(t64)?$' || echo libssl3)
        depends="libc6, libgcc-s1, libstdc++6, ${gpiod:-libgpiod2}, libmodbus5, libyaml-0-2, $ssl, libmosquitto1"
    fi
fi
# systemd-sysusers in postinst; deb-systemd-helper/-invoke come from init-system-helpers (priority required).
depends="$depends, systemd"

for s in postinst prerm postrm; do install -m 0755 "Packaging/$s" "$stage/DEBIAN/$s"; done
echo /etc/fieldagent/fieldagent.yaml >"$stage/DEBIAN/conffiles"
(cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" -e "s|@HOMEPAGE@|$homepage|" \
    -e "s|@INSTALLED_SIZE@|$size|" -e "s|@DEPENDS@|$depends|" Packaging/control.in >"$stage/DEBIAN/control"

# Files and directories with the usual modes whatever the umask was.
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f ! -path '*/DEBIAN/*' ! -path '*/usr/bin/*' -exec chmod 0644 {} +
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out/$pkg.deb" >/dev/null
echo "build-deb: $out/$pkg.deb"
