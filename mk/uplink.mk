# Uplink: the Sparkplug B edge node over MQTT (Sources/Uplink), tested end to end.
#   make test-deps-uplink  mosquitto + openssl (apt), paho-mqtt + protobuf in .venv, nats-server 2.10 from Debian
#                          trixie (apt download + dpkg -x into .build-uplink/nats); part of make test
#   make test-uplink       the binary against Mosquitto (plain and TLS with a throwaway CA) and a three-node NATS
#                          cluster, checked by a Sparkplug host application (Tests/Uplink); part of make test
#   make bench-uplink      uplink CPU per sample, RSS with a full buffer, edge → output with the uplink busy, and
#                          500 simulated edge nodes against the NATS cluster (UPLINK_NODES, UPLINK_SECONDS)

# protobuf 6: the .venv is shared with make train, whose tensorflow-cpu needs protobuf 6.31 or later.
UPLINK_PY_SPEC ?= paho-mqtt==2.1.0 protobuf==6.33.6
UPLINK_DIR     := .build-uplink
NATS_SERVER    := $(UPLINK_DIR)/nats/usr/sbin/nats-server
UPLINK_APT     := mosquitto openssl
UPLINK_NODES   ?= 500
UPLINK_SECONDS ?= 20

TEST_PREREQS  += test-deps-uplink
BENCH_TARGETS += bench-uplink

.PHONY: test-deps-uplink test-uplink bench-uplink

test-deps-uplink: $(MODBUS_VENV)/.uplink-installed $(NATS_SERVER)
	@missing=""; for p in $(UPLINK_APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "test-deps-uplink: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(MODBUS_VENV)/.uplink-installed: mk/uplink.mk
	[ -x $(MODBUS_VENV)/bin/python ] || $(MODBUS_PYTHON) -m venv $(MODBUS_VENV)
	$(MODBUS_VENV)/bin/pip install -q $(UPLINK_PY_SPEC)
	@touch $@

$(NATS_SERVER):
	scripts/fetch-trixie-package $(UPLINK_DIR)/nats nats-server

FIELDAGENT_DEBUG ?= .build/debug/fieldagent
test-uplink: test-deps-uplink
	@[ -x $(FIELDAGENT_DEBUG) ] || $(SWIFT) build --product fieldagent
	NATS_SERVER=$(NATS_SERVER) $(MODBUS_VENV)/bin/python Tests/Uplink/uplink_tests.py $(FIELDAGENT_DEBUG)

UPLINK_LOAD := .build/release/fieldagent-uplink-load
bench-uplink: build test-deps-uplink
	$(SWIFT) build $(RELEASE) --product fieldagent-uplink-load
	NATS_SERVER=$(NATS_SERVER) $(MODBUS_VENV)/bin/python Tests/Uplink/uplink_bench.py $(BIN) $(UPLINK_LOAD) $(UPLINK_NODES) $(UPLINK_SECONDS)
