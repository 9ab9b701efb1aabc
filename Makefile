# FieldAgent: build, run the simulation, test, benchmark, install.
#   make            release binary (static Swift stdlib) at .build/release/fieldagent
#   make run        the built-in simulation (mock GPIO, simulated sensors, peers on loopback)
#   make test       unit + integration tests, then the HIL scenarios against the real binary
#   make test-hw    the libgpiod backend and the agent against the real kernel's gpio-sim, in a QEMU VM
#   make bench      benchmarks (numbers printed next to the reference figures)
#   make size       stripped size of each product, the agent's peak RSS
#   make order-file Platform/fieldagent.order again (the running agent's functions first: fewer resident code pages)
#   make deb        Debian package in dist/ for this machine's Debian; ARCH=arm64: for Raspberry Pi OS trixie
#   make install    PREFIX=/usr/local DESTDIR=
#   make help       this list, then the targets of each area (mk/*.mk: modbus, model, platform, systemd, uplink)

SWIFT      ?= swift
PREFIX     ?= /usr/local
DESTDIR    ?=
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Link with the toolchain's own lld when it has one (swift.org's and Debian's swiftlang do): GNU ld, the default of
# Debian's swiftlang, gives a static-stdlib arm64 binary a writable and executable segment, which
# MemoryDenyWriteExecute=yes in the unit kills at start; without lld, ask GNU ld for separate code segments.
# Platform/check-binary refuses such a binary after every release build.
SWIFT_LLD  := $(shell d=$$(dirname "$$(readlink -f "$$(command -v $(SWIFT))")" 2>/dev/null); [ -x "$$d/ld.lld" ] && echo yes)
LINK_FLAGS := $(if $(SWIFT_LLD),-Xswiftc -use-ld=lld,-Xlinker -z -Xlinker separate-code)
RELEASE    := -c release --static-swift-stdlib $(LINK_FLAGS)
# The shipped binary, linked by lld, is also lean (make size): no unwind tables (Platform/discard-unwind-tables.ld),
# no exported symbols (nothing loads it as a library), relative relocations packed (DT_RELR: glibc 2.36+, bookworm
# and trixie), and the functions the running agent calls packed together at the start of the code
# (Platform/fieldagent.order, from scripts/make-order-file: make order-file), so few code pages stay resident.
# $(1) is the source tree as the build sees it (the trixie root mounts it elsewhere); $(2) is "keep-unwind"
# for trixie's lld 17 (swiftlang 6.0.3), which asserts on the script's INSERT.
product_link = $(if $(SWIFT_LLD),$(if $(2),,-Xlinker --script=$(1)/Platform/discard-unwind-tables.ld) \
               -Xlinker --no-export-dynamic -Xlinker -z -Xlinker pack-relative-relocs \
               -Xlinker --symbol-ordering-file=$(1)/Platform/fieldagent.order -Xlinker --no-warn-symbol-ordering)
BENCH_BIN  := .build/release/fieldagent-bench
BIN        := .build/release/fieldagent
DEBUG_BIN  := .build/debug/fieldagent
# Debian packages the build and the tests need (the -dev packages pull in the runtime libraries).
DEB_DEPS   := pkg-config libgpiod-dev libmodbus-dev libyaml-dev libssl-dev libmosquitto-dev gpiod socat mbpoll python3-venv systemd
# Targets that other fragments hang their own preparation on.
TEST_PREREQS  :=
BENCH_TARGETS :=

.PHONY: all build deps run test test-hw test-unit hil bench bench-build bench-gpio size order-file install uninstall clean help check-generated
all: build

# The header of this file, then each fragment's (mk/*.mk): every target with one line on what it does.
help:
	@sed -n '1,/^$$/p' Makefile | sed -n 's/^# \{0,1\}//p'
	@for f in mk/*.mk; do echo; sed -n '1,/^$$/p' $$f | sed -n 's/^# \{0,1\}//p'; done

deps:
	@missing=""; for p in $(DEB_DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "make deps: swift not found; install Swift 6 (https://www.swift.org/install/linux/) and put it on PATH" >&2; exit 1; }

build: deps
	$(SWIFT) build $(RELEASE) $(call product_link,$(CURDIR)) --product fieldagent
	@Platform/check-binary $(BIN) $$(uname -m) >/dev/null

run: build
	$(BIN) sim

include $(wildcard mk/*.mk)

test: deps check-generated $(TEST_PREREQS)
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory hil FIELDAGENT=$(DEBUG_BIN)
	$(MAKE) --no-print-directory test-uplink FIELDAGENT_DEBUG=$(DEBUG_BIN)

# Generated sources must match what their generators give today.
check-generated:
	@scripts/embed-boards /tmp/fieldagent-boards-check.swift && cmp -s /tmp/fieldagent-boards-check.swift Sources/Boards/EmbeddedBoards.swift \
	  || { echo "Sources/Boards/EmbeddedBoards.swift is stale: run scripts/embed-boards" >&2; exit 1; }

FIELDAGENT ?= $(BIN)
# The binary end to end: valid configs pass 'check', every broken fixture fails it with file:line:column,
# then the HIL scenarios.
hil:
	@for c in Examples/*.yaml; do $(FIELDAGENT) check --config "$$c" >/dev/null || exit 1; done
	@for c in $(filter-out %/fixed-role-pin.yaml,$(wildcard Tests/ConfigTests/Fixtures/*.yaml)); do \
	  out=$$($(FIELDAGENT) check --config "$$c" 2>&1); rc=$$?; \
	  [ $$rc = 1 ] || { echo "fieldagent check $$c: exit $$rc, expected 1"; exit 1; }; \
	  echo "$$out" | grep -q "^$$c:[0-9]*:[0-9]*: error: " || { echo "fieldagent check $$c: no file:line:column error:"; echo "$$out"; exit 1; }; \
	done; echo "fieldagent check: examples valid, $(words $(filter-out %/fixed-role-pin.yaml,$(wildcard Tests/ConfigTests/Fixtures/*.yaml))) broken fixtures refused with their place"
	@for s in Scenarios/*.yaml; do \
	  [ -e "$$s" ] || continue; \
	  $(FIELDAGENT) hil "$$s" $(if $(FIELDAGENT_TEST_SLOWDOWN),--slowdown $(FIELDAGENT_TEST_SLOWDOWN)) || exit 1; \
	done
	@out=$$($(FIELDAGENT) hil Tests/HIL/never-met.yaml --slowdown 3 2>&1); rc=$$?; \
	  [ $$rc = 1 ] && echo "$$out" | grep -q "FAIL.*expected lamp=1 within 120.00ms" \
	  || { echo "fieldagent hil: a scenario that cannot pass gave exit $$rc, expected 1 and a FAIL within 120.00ms (40ms × --slowdown 3):"; echo "$$out"; exit 1; }
	@out=$$($(FIELDAGENT) hil Tests/HIL/never-met.yaml --slowdown 0 2>&1); rc=$$?; \
	  [ $$rc = 2 ] && echo "$$out" | grep -q "slowdown" || { echo "fieldagent hil --slowdown 0: exit $$rc, expected a usage error (2):"; echo "$$out"; exit 1; }
	@echo "fieldagent hil: a scenario that cannot pass fails (within: scaled by --slowdown), a bad --slowdown is refused"

# Real-kernel GPIO: Tests/Hardware/guest-gpio.sh in gpio-vm: the libgpiod backend's self-test, `fieldagent gpio`,
# and the agent on every board's chip (found by label). Fails without the VM.
SELFTEST_BIN := .build/release/fieldagent-gpio-selftest
test-hw: build
	$(SWIFT) build $(RELEASE) --product fieldagent-gpio-selftest
	Tests/Hardware/run-gpio-vm $(BIN) $(SELFTEST_BIN)

bench: build bench-gpio $(BENCH_TARGETS)

# The benchmarks are their own executable: nothing of them ships in fieldagent.
bench-build: deps
	$(SWIFT) build $(RELEASE) --product fieldagent-bench

bench-gpio: bench-build
	$(BENCH_BIN) gpio

# Stripped size of each product and the agent's peak RSS (line-a alone, then both lines of the simulation).
size: build bench-build
	@$(SWIFT) build $(RELEASE) --product fieldagent-gpio-selftest >/dev/null
	@$(SWIFT) build --product fieldagent-modelc >/dev/null
	@for p in $(BIN) $(BENCH_BIN) .build/release/fieldagent-gpio-selftest .build/debug/fieldagent-modelc; do \
	  cp $$p /tmp/size.stripped && strip /tmp/size.stripped; \
	  printf '%-28s %9d bytes stripped%s\n' $$(basename $$p) $$(stat -c %s /tmp/size.stripped) \
	    "$$([ $$p = $(BIN) ] && { [ $$(stat -c %s /tmp/size.stripped) -le 8000000 ] && echo ' (goal ≤ 8 MB: met, ships)' || echo ' (goal ≤ 8 MB: MISSED)'; })"; \
	done; rm -f /tmp/size.stripped
	@printf 'fieldagent, line-a alone:    '; $(BIN) sim --only line-a --quiet --duration 3 --report-rss 2>/dev/null | head -1
	@printf 'fieldagent, line-a + line-b: '; $(BIN) sim --quiet --duration 3 --report-rss 2>/dev/null | head -1

# The order the linker lays out fieldagent's functions in (see product_link), from the release binary running line-a
# under valgrind's callgrind (installed here when missing; not needed to build). Run it when the code changed much:
# names a build no longer has are ignored, so a stale file only keeps more code pages resident (make size shows it).
order-file: build
	@command -v valgrind >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq valgrind >/dev/null; }
	scripts/make-order-file $(BIN) Platform/fieldagent.order
	@# The link flags are unchanged, so SwiftPM would keep the binary laid out by the old file: link it again.
	rm -f $(BIN)
	$(SWIFT) build $(RELEASE) $(call product_link,$(CURDIR)) --product fieldagent

install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/fieldagent
	install -d $(DESTDIR)$(PREFIX)/share/fieldagent/boards
	cp -r Boards/. $(DESTDIR)$(PREFIX)/share/fieldagent/boards/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/fieldagent
	rm -rf $(DESTDIR)$(PREFIX)/share/fieldagent

clean:
	rm -rf .build
