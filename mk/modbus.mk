# Modbus: test peers, fuzzing and benchmarks.
#   make test-deps-modbus  .venv with pymodbus (the interop tests use .venv/bin/python); part of make test
#   make fuzz              libFuzzer over MBAP/RTU framing, request decoding and handling (FUZZ_SECONDS, default 60)
#   make bench-modbus      requests/s reading 10 holding registers, 1 and 8 connections: ours vs libmodbus vs pymodbus

PYTHON        ?= python3
MODBUS_VENV   := .venv
PYMODBUS_SPEC ?= pymodbus==3.16.1 pyserial
FUZZ_SECONDS  ?= 60
FUZZ_DIR      := .build-fuzz
BENCH_DIR     := .build-bench

TEST_PREREQS  += test-deps-modbus
BENCH_TARGETS += bench-modbus

.PHONY: test-deps-modbus fuzz bench-modbus

test-deps-modbus: $(MODBUS_VENV)/.pymodbus-installed

$(MODBUS_VENV)/.pymodbus-installed:
	$(PYTHON) -m venv $(MODBUS_VENV)
	$(MODBUS_VENV)/bin/pip install -q $(PYMODBUS_SPEC)
	@touch $@
