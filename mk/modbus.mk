# Modbus: test peers, fuzzing and benchmarks.
#   make test-deps-modbus  .venv with pymodbus (the interop tests use .venv/bin/python); part of make test
#   make fuzz-modbus       libFuzzer over MBAP/RTU framing, request decoding and handling (part of make fuzz, mk/fuzz.mk)
#   make bench-modbus      requests/s reading 10 holding registers, 1 and 8 connections: ours vs libmodbus vs pymodbus
#                          (one request in flight per connection, then 16: pipelined), server CPU µs per request;
#                          Modbus/TCP Security: requests/s and CPU over TLS vs plaintext, handshake cost, memory per
#                          TLS connection, an event's latency on the loop while TLS clients connect
#   make bench-adversaries GPIO edge → output in the agent (mock chip) with its Modbus server and a poller on the
#                          loop, without and with misbehaving peers (ADVERSARY_SECONDS per row, default 5); and with Modbus/TCP Security on while a client
#                          opens TLS connections back to back (handshake_rate 10/s and no limit)

MODBUS_PYTHON ?= python3
MODBUS_VENV   := .venv
PYMODBUS_SPEC ?= pymodbus==3.16.1 pyserial
BENCH_DIR     := .build-bench
BENCH_SECONDS ?= 3
ADVERSARY_SECONDS ?= 5

TEST_PREREQS  += test-deps-modbus
BENCH_TARGETS += bench-modbus bench-adversaries

.PHONY: test-deps-modbus fuzz-modbus bench-modbus bench-adversaries

test-deps-modbus: $(MODBUS_VENV)/.pymodbus-installed

$(MODBUS_VENV)/.pymodbus-installed:
	$(MODBUS_PYTHON) -m venv $(MODBUS_VENV)
	$(MODBUS_VENV)/bin/pip install -q $(PYMODBUS_SPEC)
	@touch $@

# The fuzz target compiles the pure protocol core (no I/O, no imports) with the entry point in Fuzz/.
# Seeds: a valid TCP read, an RTU write, an RTU answer and an RTU Read Device Identification answer; libFuzzer
# grows the corpus in fuzz-out/.
fuzz-modbus:
	@mkdir -p $(FUZZ_DIR) fuzz-out/modbus-corpus
	swiftc -sanitize=fuzzer,address -use-ld=lld -parse-as-library -O -module-name ModbusFuzz \
	  Sources/Modbus/Protocol/*.swift Fuzz/ModbusFuzz.swift -o $(FUZZ_DIR)/modbus-fuzz
	@printf '\000\000\001\000\000\000\006\001\003\000\000\000\012' > fuzz-out/modbus-corpus/seed-tcp-read
	@printf '\001\001\020\000\001\000\002\004\000\012\001\002\222\060' > fuzz-out/modbus-corpus/seed-rtu-write
	@printf '\002\001\003\000\000\000\002\001\003\004\000\001\000\002\052\062' > fuzz-out/modbus-corpus/seed-rtu-answer
	@printf '\002\007\053\016\001\201\000\000\001\000\001\126\360\351' > fuzz-out/modbus-corpus/seed-rtu-identification
	$(FUZZ_DIR)/modbus-fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=512 -max_len=600 \
	  -artifact_prefix=fuzz-out/ fuzz-out/modbus-corpus

# The libmodbus reference server and the load client are built here from Bench/ (no libmodbus source package needed).
bench-modbus: build test-deps-modbus
	@mkdir -p $(BENCH_DIR)
	cc -O2 -o $(BENCH_DIR)/modbus-libmodbus-server Bench/modbus-libmodbus-server.c $$(pkg-config --cflags --libs libmodbus)
	cc -O2 -pthread -o $(BENCH_DIR)/modbus-load Bench/modbus-load.c
	cc -O2 -pthread -o $(BENCH_DIR)/modbus-tls-load Bench/modbus-tls-load.c $$(pkg-config --cflags --libs openssl)
	@bash Bench/modbus-bench.sh $(BIN) $(BENCH_DIR) $(MODBUS_VENV)/bin/python $(BENCH_SECONDS)

# No Python, no third-party peers: every adversary is a thread of the bench process (see AdversaryBench.swift).
bench-adversaries: bench-build
	$(BENCH_BIN) modbus-adversaries --seconds $(ADVERSARY_SECONDS)
