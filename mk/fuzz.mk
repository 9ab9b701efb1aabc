# Fuzzing: libFuzzer over every input that comes from outside the agent, one target per input, FUZZ_SECONDS each
# (default 60). A crash, a trap, a hang or a broken invariant stops the run and leaves the input in fuzz-out/.
#   make fuzz              every target below, one after the other
#   make fuzz-modbus       Modbus framing, request decoding and handling (mk/modbus.mk)
#   make fuzz-config       the config loader: YAML text → AgentConfig or file:line:column diagnostics, and what an
#                          accepted config promises (values fit their points, durations bounded, names fit sockets)
#   make fuzz-pipeline     sensor values (NaN, ±inf, huge, subnormal) into the features, directly and as float32
#                          registers polled over Modbus TCP → decision → status, metrics, register map; requests to
#                          the agent's register map
#   make fuzz-tls          the TLS-wrapped Modbus server (Modbus/TCP Security): bytes before the handshake, and
#                          MBAP frames inside mutual TLS from an operator and from a client without a role;
#                          role rights hold, answers are well formed, slots come back
#   make fuzz-render       Prometheus text with any values and labels, number and duration formats, peer status
#                          blocks, mock chip control commands, hosts and endpoints

FUZZ_SECONDS ?= 60
FUZZ_DIR     := .build-fuzz
# The agent's libraries, built by SwiftPM with coverage and AddressSanitizer (one -sanitize= list: SwiftPM's
# --sanitize given twice would keep only the last), then linked with each entry point in Fuzz/.
FUZZ_SPM     := $(FUZZ_DIR)/spm
FUZZ_MODULES := Agent Boards CGPIOFacade CInt8Kernels CLinux CModelWeights CMosquittoLoader CompiledModel Config CTLSShim EventLoop GPIO Inference ModelCatalog Modbus Service TLS Uplink YAML
FUZZ_C_LIBS  := yaml-0.1 libgpiod libmodbus openssl libmosquitto
# Swift's weak references keep their side tables behind tagged reference counts, which LeakSanitizer cannot
# follow: it reports them as leaks. Leaks are not what these targets look for.
FUZZ_ENV     := ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no

.PHONY: fuzz fuzz-agent-libs fuzz-config fuzz-pipeline fuzz-render fuzz-tls

fuzz: fuzz-modbus fuzz-config fuzz-pipeline fuzz-render fuzz-tls

fuzz-agent-libs:
	$(SWIFT) build -c release --scratch-path $(FUZZ_SPM) --target Agent \
	  -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address

fuzz-config: FUZZ_ENTRY := ConfigFuzz
fuzz-config: FUZZ_MAX_LEN := 8192
fuzz-pipeline: FUZZ_ENTRY := PipelineFuzz
fuzz-pipeline: FUZZ_MAX_LEN := 4096
fuzz-render: FUZZ_ENTRY := RenderFuzz
fuzz-render: FUZZ_MAX_LEN := 4096
fuzz-tls: FUZZ_ENTRY := TLSServerFuzz
fuzz-tls: FUZZ_MAX_LEN := 2048

# Seeds: the example configs and the broken fixtures for the config loader; the others start from nothing.
fuzz-config fuzz-pipeline fuzz-render fuzz-tls: fuzz-%: fuzz-agent-libs
	@mkdir -p fuzz-out/$*-corpus
	swiftc -sanitize=fuzzer,address -use-ld=lld -parse-as-library -O -module-name $(FUZZ_ENTRY) \
	  -I $(FUZZ_SPM)/release/Modules $(foreach m,$(wildcard $(FUZZ_SPM)/release/*.build/module.modulemap),-Xcc -fmodule-map-file=$(m)) \
	  -I Sources/CYAML -I Sources/CGPIOD -I Sources/CModbus $(addprefix -Xcc ,$(shell pkg-config --cflags $(FUZZ_C_LIBS))) \
	  Fuzz/$(FUZZ_ENTRY).swift $(foreach m,$(FUZZ_MODULES),$(wildcard $(FUZZ_SPM)/release/$(m).build/*.o)) \
	  $(shell pkg-config --libs $(FUZZ_C_LIBS)) -o $(FUZZ_DIR)/$*-fuzz
	@if [ $* = config ]; then cp Examples/*.yaml Tests/ConfigTests/Fixtures/*.yaml fuzz-out/config-corpus/; fi
	@if [ $* = tls ]; then \
	  printf '\001\000\001\000\000\000\006\001\003\000\000\000\012' > fuzz-out/tls-corpus/seed-operator-read; \
	  printf '\001\000\002\000\000\000\006\001\006\000\014\000\001\360\000\003\000\000\000\006\001\020\000\000\000\001' > fuzz-out/tls-corpus/seed-operator-writes; \
	  printf '\002\000\001\000\000\000\006\001\005\000\001\377\000' > fuzz-out/tls-corpus/seed-norole-write; \
	  printf '\000\026\003\001\002\000\001\000\001\374\003\003' > fuzz-out/tls-corpus/seed-raw-hello; fi
	$(FUZZ_ENV) $(FUZZ_DIR)/$*-fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=$(FUZZ_MAX_LEN) \
	  -artifact_prefix=fuzz-out/$*- fuzz-out/$*-corpus
