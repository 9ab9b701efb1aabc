# systemd service and Debian package.
#   make check-systemd     unit exposure <= 2.0 (systemd-analyze security --offline=true), verify, sysusers (part of make test)
#   make install-service   make install + unit, sysusers, udev rule, /etc/fieldagent/fieldagent.yaml (kept if present)
#   make uninstall-service the files install-service added (not /etc/fieldagent, not the user)
#   make deb               dist/fieldagent_<version>_<arch>.deb (dpkg-deb) from the release build, for the host's
#                          Debian release; ARCH=arm64: for Raspberry Pi OS trixie, cross-built (mk/platform.mk)
#   make check-deb         make deb, then list and validate it (dpkg-deb -I/-c, lintian when installed); ARCH= too

DEB_VERSION ?= $(shell sed -n 's/^let version = "\(.*\)"$$/\1/p' Sources/fieldagent/main.swift)
HOST_ARCH   := $(shell dpkg --print-architecture 2>/dev/null || echo unknown)
ARCH        ?= $(HOST_ARCH)
DEB_ARCH    := $(ARCH)
DEB_FILE    := dist/fieldagent_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_FILE_ARM64 := dist/fieldagent_$(DEB_VERSION)_arm64.deb
SYSCONFDIR  ?= /etc
# The default configuration: the project's basic example when there is one, else a placeholder.
DEFAULT_CONFIG ?= $(firstword $(wildcard Examples/sim-basic.yaml) Packaging/fieldagent.yaml)
UNITDIR     = $(PREFIX)/lib/systemd/system
SYSUSERSDIR = $(PREFIX)/lib/sysusers.d
UDEVRULESDIR = $(PREFIX)/lib/udev/rules.d

TEST_PREREQS += check-systemd

.PHONY: check-systemd install-service uninstall-service deb deb-native deb-arm64 check-deb

check-systemd:
	@command -v systemd-analyze >/dev/null || { \
	  echo "make check-systemd: installing systemd (for systemd-analyze)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq systemd >/dev/null; }
	@Systemd/check-unit.sh

# The unit names /usr/bin/fieldagent; under another PREFIX it is rewritten to point at $(PREFIX)/bin.
install-service: install
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(UDEVRULESDIR)
	sed 's#/usr/bin/fieldagent#$(PREFIX)/bin/fieldagent#g' Systemd/fieldagent.service >$(DESTDIR)$(UNITDIR)/fieldagent.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/fieldagent.service
	install -m 0644 Systemd/fieldagent.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/fieldagent.conf
	install -m 0644 Systemd/60-fieldagent-gpio.rules $(DESTDIR)$(UDEVRULESDIR)/60-fieldagent-gpio.rules
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/fieldagent/fieldagent.yaml ]; then \
	  echo "install-service: keeping $(DESTDIR)$(SYSCONFDIR)/fieldagent/fieldagent.yaml"; \
	else \
	  echo "install -D -m 0644 $(DEFAULT_CONFIG) $(DESTDIR)$(SYSCONFDIR)/fieldagent/fieldagent.yaml"; \
	  install -D -m 0644 $(DEFAULT_CONFIG) $(DESTDIR)$(SYSCONFDIR)/fieldagent/fieldagent.yaml; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  set -x; \
	  systemd-sysusers $(SYSUSERSDIR)/fieldagent.conf; \
	  if [ -d /run/udev ]; then udevadm control --reload-rules; udevadm trigger --subsystem-match=gpio --action=change; fi; \
	  systemctl daemon-reload; \
	  set +x; \
	  echo "install-service: review $(SYSCONFDIR)/fieldagent/fieldagent.yaml, then: sudo systemctl enable --now fieldagent"; \
	fi

uninstall-service: uninstall
	rm -f $(DESTDIR)$(UNITDIR)/fieldagent.service $(DESTDIR)$(SYSUSERSDIR)/fieldagent.conf \
	  $(DESTDIR)$(UDEVRULESDIR)/60-fieldagent-gpio.rules
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

ifeq ($(ARCH),$(HOST_ARCH))
deb: deb-native
else ifeq ($(ARCH),arm64)
deb: deb-arm64
else
deb:
	@echo "make deb: ARCH=$(ARCH) is not supported: ARCH=$(HOST_ARCH) (this machine, its Debian release) or ARCH=arm64 (trixie)" >&2; exit 2
endif

deb-native: build
	@[ -n "$(DEB_VERSION)" ] || { echo "make deb: no 'let version = \"...\"' in Sources/fieldagent/main.swift" >&2; exit 1; }
	Packaging/build-deb.sh $(BIN) $(DEB_VERSION) $(HOST_ARCH) $(DEFAULT_CONFIG) dist

# For Raspberry Pi OS trixie (arm64): the cross-built binary, Depends from the sysroot it was linked against.
deb-arm64: cross-arm64 binfmt-arm64
	QEMU_LD_PREFIX=$(abspath $(ARM64_SYSROOT)) DEB_SYSROOT=$(ARM64_SYSROOT) \
	  Packaging/build-deb.sh $(ARM64_BIN) $(DEB_VERSION) arm64 $(DEFAULT_CONFIG) dist

check-deb: deb
	Packaging/check-deb.sh $(DEB_FILE)
