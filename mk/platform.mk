# Raspberry Pi OS platforms, built and proven on this x86 machine: Debian 13 trixie (libgpiod 2.2, Debian's swiftlang
# 6.0.3) and arm64, in Debian roots made by mmdebstrap from Debian's archive (cached in PLATFORM_CACHE, never committed).
#   make test-trixie      make test inside a trixie amd64 root: Swift 6.0.3, libgpiod 2.2 (the v2 GPIO facade)
#   make deb ARCH=arm64   dist/fieldagent_<v>_arm64.deb for trixie: cross-compiled in that root against an arm64 sysroot
#   make test-arm64       the arm64 unit tests (int8 engine bit-exact on every reference model) and HIL scenarios under qemu-user
#   make test-pi          the arm64 .deb installed in a trixie arm64 VM booted with systemd, gpio-sim chips labelled like a Pi's
#   make platform-clean   removes the cached roots, sysroot, VM image and downloads

PLATFORM_CACHE ?= .build-platform
DEBIAN_MIRROR  ?= http://deb.debian.org/debian
# trixie's Swift, pinned: compiler (amd64 root) and arm64 runtime (sysroot) must be the same build.
TRIXIE_SWIFTLANG ?= 6.0.3-2
TRIXIE_ROOT    := $(PLATFORM_CACHE)/trixie-amd64
ARM64_SYSROOT  := $(PLATFORM_CACHE)/sysroot-trixie-arm64
# Paths inside the trixie root.
ROOT_SRC       := /src/fieldagent
ROOT_SYSROOT   := /opt/sysroot-arm64
ROOT_SDKS      := /opt/fieldagent-sdks
ARM64_SDK      := fieldagent-trixie-arm64
# The build and test tools of the trixie root (make test needs the same packages as on the host: DEB_DEPS).
TRIXIE_PACKAGES := swiftlang=$(TRIXIE_SWIFTLANG) libc6-dev libstdc++-14-dev libgcc-14-dev make git ca-certificates \
                   binutils binutils-aarch64-linux-gnu dpkg-dev procps $(DEB_DEPS)
# What the arm64 binary links against, and the arm64 Swift runtime and modules.
SYSROOT_PACKAGES := libc6-dev libstdc++-14-dev libgcc-14-dev libgpiod-dev libmodbus-dev libyaml-dev libssl-dev libmosquitto-dev \
                    libswiftlang=$(TRIXIE_SWIFTLANG) swiftlang=$(TRIXIE_SWIFTLANG)
# The arm64 products, as seen from the host.
ARM64_BUILD    := $(TRIXIE_ROOT)$(ROOT_SRC)/.build-arm64
ARM64_BIN      := $(ARM64_BUILD)/release/fieldagent
ARM64_SELFTEST := $(ARM64_BUILD)/release/fieldagent-gpio-selftest
IN_TRIXIE      := Platform/in-root $(TRIXIE_ROOT)
IN_TRIXIE_X    := IN_ROOT_BIND="$(abspath $(ARM64_SYSROOT)):$(ROOT_SYSROOT)" Platform/in-root $(TRIXIE_ROOT)
CROSS_ENV      := PKG_CONFIG_SYSROOT_DIR=$(ROOT_SYSROOT) \
                  PKG_CONFIG_LIBDIR=$(ROOT_SYSROOT)/usr/lib/aarch64-linux-gnu/pkgconfig:$(ROOT_SYSROOT)/usr/share/pkgconfig
CROSS_FLAGS    := --swift-sdks-path $(ROOT_SDKS) --swift-sdk $(ARM64_SDK) --scratch-path .build-arm64
PLATFORM_HOST_DEPS := mmdebstrap qemu-user-static binfmt-support e2fsprogs
# SwiftPM warns about a file only Apple SDKs have, once per target: drop that line.
SDK_NOISE      := sed "/Could not read SDKSettings.json/d"

export DEBIAN_MIRROR

.PHONY: platform-deps trixie-root arm64-sysroot sync-trixie cross-arm64 test-trixie test-arm64 test-pi binfmt-arm64 platform-clean

platform-deps:
	@missing=""; for p in $(PLATFORM_HOST_DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make platform-deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

trixie-root: platform-deps
	@Platform/debian-root $(TRIXIE_ROOT) trixie amd64 apt $(TRIXIE_PACKAGES)

arm64-sysroot: platform-deps
	@Platform/debian-root $(ARM64_SYSROOT) trixie arm64 extract $(SYSROOT_PACKAGES)
	@Platform/swift-sdk $(TRIXIE_ROOT)$(ROOT_SDKS) $(ARM64_SDK) $(ROOT_SYSROOT) >/dev/null

# This working tree (uncommitted changes too) into the root; its build folders stay for incremental builds.
sync-trixie: trixie-root
	@Platform/sync-tree $(TRIXIE_ROOT)$(ROOT_SRC)

test-trixie: sync-trixie
	@start=$$(date +%s); \
	$(IN_TRIXIE) sh -c 'cd $(ROOT_SRC) && swift --version 2>&1 | head -1 && echo "libgpiod $$(pkg-config --modversion libgpiod)" && make test'; \
	rc=$$?; echo "make test-trixie: exit $$rc after $$(( $$(date +%s) - start )) s"; exit $$rc

# The arm64 release binaries, cross-compiled by trixie's swiftlang (amd64) against the arm64 sysroot: the agent and
# the libgpiod backend's self-test (run against gpio-sim in the arm64 VM by make test-pi).
cross-arm64: sync-trixie arm64-sysroot
	@start=$$(date +%s); \
	$(IN_TRIXIE_X) bash -o pipefail -c 'cd $(ROOT_SRC) && for p in fieldagent fieldagent-gpio-selftest; do \
	  link=$$([ $$p = fieldagent ] && echo "$(call product_link,$(ROOT_SRC),keep-unwind)"); \
	  $(CROSS_ENV) swift build $(RELEASE) $$link $(CROSS_FLAGS) --product $$p 2>&1 | $(SDK_NOISE) || exit 1; done' \
	  || { echo "make cross-arm64: the arm64 build failed" >&2; exit 1; }; \
	echo "make cross-arm64: $(ARM64_BIN) in $$(( $$(date +%s) - start )) s"
	@Platform/check-binary $(ARM64_BIN) aarch64
	@Platform/check-binary $(ARM64_SELFTEST) aarch64 >/dev/null

# arm64 programs run here through qemu-user (binfmt_misc), their libraries from the sysroot.
binfmt-arm64: platform-deps
	@[ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	@[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
	@grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 || { echo "make binfmt-arm64: qemu-aarch64 binfmt not enabled" >&2; exit 1; }

# The test bundle and the debug binary cross-built like the release, then run in the trixie root under qemu-user:
# the unit and integration tests (real sockets, ptys and pymodbus peers, amd64 Python beside arm64 code), then the
# HIL scenarios and check fixtures against the arm64 fieldagent.
test-arm64: sync-trixie arm64-sysroot binfmt-arm64
	@start=$$(date +%s); \
	$(IN_TRIXIE_X) bash -o pipefail -c 'set -e; cd $(ROOT_SRC); \
	  $(CROSS_ENV) swift build $(CROSS_FLAGS) --build-tests 2>&1 | $(SDK_NOISE); \
	  make --no-print-directory test-deps-modbus; \
	  export QEMU_LD_PREFIX=$(ROOT_SYSROOT) QEMU_CPU=max FIELDAGENT_TEST_SLOWDOWN=3; \
	  Platform/check-binary .build-arm64/debug/FieldAgentPackageTests.xctest aarch64; \
	  .build-arm64/debug/FieldAgentPackageTests.xctest --testing-library swift-testing; \
	  make --no-print-directory hil FIELDAGENT=.build-arm64/debug/fieldagent'; \
	rc=$$?; echo "make test-arm64: exit $$rc after $$(( $$(date +%s) - start )) s"; exit $$rc

# Two boots of the arm64 VM: Tests/Hardware/guest-gpio.sh against the arm64 binaries (the libgpiod 2.x facade's
# self-test on the Pi's chip labels, the agent on all five boards, fieldagent safe after SIGKILL), then the .deb
# under systemd on rpi4 and rpi5 (Tests/Pi/guest-pi.sh).
test-pi: deb-arm64
	@start=$$(date +%s); \
	Tests/Pi/run-hw-arm64 $(ARM64_BIN) $(ARM64_SELFTEST) && Tests/Pi/run-pi-vm $(DEB_FILE_ARM64) rpi4 rpi5; \
	rc=$$?; echo "make test-pi: exit $$rc after $$(( $$(date +%s) - start )) s"; exit $$rc

platform-clean:
	-@for m in $$(mount | awk '{print $$3}' | grep "^$(abspath $(PLATFORM_CACHE))/" | sort -r); do umount -l $$m; done
	rm -rf $(PLATFORM_CACHE)
