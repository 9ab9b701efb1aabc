# On-device int8 inference: the model compiler, the compiled-in model, training and benchmarks.
#   make model [MODEL=path.tflite]  compile the models of Models/models.yaml into Sources/CModelWeights +
#                                   Sources/CompiledModel; MODEL=x.tflite: x replaces the classifier; then `make`
#   make reference-models           regenerate the test/bench copies of the shared reference models
#   make check-generated-model      regenerate everything into a temp dir, fail on any difference (part of make test)
#   make train                      retrain the models from the simulated machine, compile them in, write
#                                   Models/EVALUATION.md (.venv with tensorflow-cpu; a few minutes)
#   make bench-model                FieldAgent vs TFLite Micro vs LiteRT per-inference latency (part of make bench)
#   make bench-ml                   every compiled-in model's arena, flash and latency; security:'s cost per request

DEFAULT_MODEL := Models/machine_health.tflite
MODEL         ?= $(DEFAULT_MODEL)
MANIFEST      := Models/models.yaml
MODELC        := .build/debug/fieldagent-modelc
REFERENCE_MODELS := mlp_health cnn_vibration ae_anomaly zoo_conv zoo_residual
VENV          := .venv
PYTHON        := $(VENV)/bin/python

# Swift type name of each reference model (generated into Tests/ReferenceModels).
type_mlp_health    := MLPHealth
type_cnn_vibration := CNNVibration
type_ae_anomaly    := AEAnomaly
type_zoo_conv      := ZooConv
type_zoo_residual  := ZooResidual

BENCH_TARGETS += bench-model bench-ml
TEST_PREREQS  += check-generated-model

.PHONY: model modelc reference-models check-generated-model train venv bench-model bench-ml

modelc:
	@$(SWIFT) build --product fieldagent-modelc >/tmp/fieldagent-modelc-build.log 2>&1 \
	  || { cat /tmp/fieldagent-modelc-build.log >&2; echo "make modelc: build failed" >&2; exit 1; }

# $(1): output root (. or a temp dir)
# The manifest's models and Sources/CompiledModel/CompiledModels.swift; MODEL=x.tflite then replaces the classifier.
define gen_product
	$(MODELC) --manifest $(MANIFEST) --c-out $(1)/Sources/CModelWeights --swift-out $(1)/Sources/CompiledModel
	$(if $(filter $(DEFAULT_MODEL),$(MODEL)),,$(MODELC) $(MODEL) --c-out $(1)/Sources/CModelWeights --swift-out $(1)/Sources/CompiledModel)
endef

define gen_reference
	$(foreach m,$(REFERENCE_MODELS),$(MODELC) Models/reference/$(m).tflite --c-out $(1)/Tests/CReferenceModels \
	  --swift-out $(1)/Tests/ReferenceModels --prefix fa_$(m) --header fa_$(m).h --c-module CReferenceModels \
	  --type $(type_$(m)) --regenerate "make reference-models" && ) true
endef

model: modelc
	@rm -f Sources/CModelWeights/*.c Sources/CModelWeights/include/*.h Sources/CompiledModel/*.swift
	$(call gen_product,.)
	@echo "compiled $(MODEL) into Sources/CModelWeights and Sources/CompiledModel; run make to build it in"

reference-models: modelc
	@$(call gen_reference,.)

# The committed generated sources must be what the compiler gives today (default model + reference models).
check-generated-model: modelc
	@rm -rf /tmp/fieldagent-model-check && mkdir -p /tmp/fieldagent-model-check
	@$(MAKE) --no-print-directory MODEL=$(DEFAULT_MODEL) _gen-check
	@for d in Sources/CModelWeights Sources/CompiledModel Tests/CReferenceModels Tests/ReferenceModels; do \
	  diff -r -x '*.md' $$d /tmp/fieldagent-model-check/$$d >/dev/null || { \
	    echo "$$d is stale: run 'make model' (default model) and 'make reference-models'" >&2; \
	    diff -r /tmp/fieldagent-model-check/$$d $$d | head -20 >&2; exit 1; }; \
	done
	@echo "generated model sources are up to date"

_gen-check:
	@$(call gen_product,/tmp/fieldagent-model-check)
	@$(call gen_reference,/tmp/fieldagent-model-check)

check-generated: check-generated-model

# A marker, not the venv's python: .venv may already exist from make test (pymodbus only).
venv: $(VENV)/.train-tools-installed
$(VENV)/.train-tools-installed:
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q tensorflow-cpu ai-edge-litert tflite-micro numpy matplotlib
	@touch $@

# The classifier, then the anomaly and RUL models on `fieldagent dataset`, compiled in; then the evaluation report,
# whose on-device columns come from the rebuilt binary (fieldagent predict --model).
train: venv
	$(SWIFT) build --product fieldagent
	@mkdir -p .build/train
	$(PYTHON) Models/train/train.py --out Models/machine_health --save-float .build/train/machine_health.keras
	$(PYTHON) Models/train/wear_models.py --fieldagent $(DEBUG_BIN) --out Models --save-float .build/train
	$(MAKE) --no-print-directory model
	$(SWIFT) build --product fieldagent
	$(PYTHON) Models/train/evaluate.py --fieldagent $(DEBUG_BIN) --floats .build/train --out Models

# Without the venv (no network for pip), bench.py prints the reference figures next to FieldAgent's.
bench-model:
	$(SWIFT) build -c release --product fieldagent-bench-model
	@{ $(PYTHON) -c 'import tflite_micro, ai_edge_litert' 2>/dev/null || { test -x $(PYTHON) || python3 -m venv $(VENV); } && $(VENV)/bin/pip install -q tflite-micro ai-edge-litert numpy; } \
	  || echo "make bench-model: could not install tflite-micro/ai-edge-litert; printing reference figures" >&2
	@$(if $(wildcard $(PYTHON)),$(PYTHON),python3) Models/bench/bench.py --fieldagent .build/release/fieldagent-bench-model

bench-ml: build
	Models/bench/ml-bench.sh $(BIN)
