# On-device int8 inference: the model compiler, the compiled-in model, training and benchmarks.
#   make model [MODEL=path.tflite]  compile the models of Models/models.yaml into Sources/CModelWeights +
#                                   Sources/CompiledModel; MODEL=x.tflite: x replaces the classifier; then `make`
#   make reference-models           regenerate the test/bench copies of the shared reference models
#   make check-generated-model      regenerate everything into a temp dir, fail on any difference (part of make test)
#   make check-model-refusal        a model the compiler refuses leaves the compiled-in one untouched (part of make test)
#   make train                      retrain the models from the simulated machine, compile them in, write
#                                   Models/EVALUATION.md (.venv with tensorflow-cpu; a few minutes)
#   make bench-model                FieldAgent vs TFLite Micro vs LiteRT per-inference latency (part of make bench)
#   make bench-ml                   every compiled-in model's arena, flash and latency; security:'s cost per request

DEFAULT_MODEL := Models/machine_health.tflite
MODEL         ?= $(DEFAULT_MODEL)
MANIFEST      := Models/models.yaml
MODELC        := .build/debug/fieldagent-modelc
REFERENCE_MODELS := mlp_health cnn_vibration ae_anomaly zoo_conv zoo_residual zoo_dscnn
VENV          := .venv
PYTHON        := $(VENV)/bin/python

# Swift type name of each reference model (generated into Tests/ReferenceModels).
type_mlp_health    := MLPHealth
type_cnn_vibration := CNNVibration
type_ae_anomaly    := AEAnomaly
type_zoo_conv      := ZooConv
type_zoo_residual  := ZooResidual
type_zoo_dscnn     := ZooDSCNN

BENCH_TARGETS += bench-model bench-ml
TEST_PREREQS  += check-generated-model check-model-refusal

.PHONY: check-model-refusal model modelc reference-models check-generated-model train venv bench-model bench-ml

modelc:
	@$(SWIFT) build --product fieldagent-modelc >/tmp/fieldagent-modelc-build.log 2>&1 \
	  || { cat /tmp/fieldagent-modelc-build.log >&2; echo "make modelc: build failed" >&2; exit 1; }

# $(1): output root (. or a temp dir)
# The manifest's models and Sources/CompiledModel/CompiledModels.swift; MODEL=x.tflite then replaces the classifier.
define gen_product
	$(MODELC) --manifest $(MANIFEST) --c-out $(1)/Sources/CModelWeights --swift-out $(1)/Sources/CompiledModel \
	  $(if $(filter $(DEFAULT_MODEL),$(MODEL)),,&& $(MODELC) $(MODEL) --c-out $(1)/Sources/CModelWeights --swift-out $(1)/Sources/CompiledModel)
endef

define gen_reference
	$(foreach m,$(REFERENCE_MODELS),$(MODELC) Models/reference/$(m).tflite --c-out $(1)/Tests/CReferenceModels \
	  --swift-out $(1)/Tests/ReferenceModels --prefix fa_$(m) --header fa_$(m).h --c-module CReferenceModels \
	  --type $(type_$(m)) --regenerate "make reference-models" && ) true
endef

# Generated into a temp dir and moved into place only when the compiler accepts the model: a refused model leaves
# the compiled-in one and the tree as they were.
model: modelc
	@tmp=$$(mktemp -d /tmp/fieldagent-model.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
	mkdir -p $$tmp/Sources/CModelWeights/include $$tmp/Sources/CompiledModel && \
	$(call gen_product,$$tmp) || { echo "make model: $(MODEL) refused; the compiled-in model is unchanged" >&2; exit 1; }; \
	rm -f Sources/CModelWeights/*.c Sources/CModelWeights/include/*.h Sources/CompiledModel/*.swift && \
	cp -R $$tmp/Sources/CModelWeights/. Sources/CModelWeights/ && cp -R $$tmp/Sources/CompiledModel/. Sources/CompiledModel/
	@echo "compiled $(MODEL) into Sources/CModelWeights and Sources/CompiledModel; run make to build it in"

# A model the compiler refuses leaves the compiled-in one as it was (part of make test).
check-model-refusal: modelc
	@before=$$(cat Sources/CModelWeights/*.c Sources/CModelWeights/include/*.h Sources/CompiledModel/*.swift | cksum); \
	for bad in Models/reference/invalid/tanh.tflite Models/reference/invalid Models/reference/mlp_health.json; do \
	  if $(MAKE) --no-print-directory model MODEL=$$bad >/tmp/fieldagent-model-refusal.log 2>&1; then \
	    echo "check-model-refusal: make model accepted $$bad" >&2; exit 1; fi; \
	  grep -q "refused; the compiled-in model is unchanged" /tmp/fieldagent-model-refusal.log \
	    || { cat /tmp/fieldagent-model-refusal.log >&2; exit 1; }; \
	done; \
	after=$$(cat Sources/CModelWeights/*.c Sources/CModelWeights/include/*.h Sources/CompiledModel/*.swift | cksum); \
	[ "$$before" = "$$after" ] || { echo "check-model-refusal: a refused model changed the generated sources" >&2; exit 1; }
	@echo "make model: 3 refused models left the compiled-in model unchanged"

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
	$(PYTHON) Models/train/behaviour_model.py --fieldagent $(DEBUG_BIN) --out Models --save-float .build/train
	$(MAKE) --no-print-directory model
	$(SWIFT) build --product fieldagent
	$(PYTHON) Models/train/evaluate.py --fieldagent $(DEBUG_BIN) --floats .build/train --out Models

# Without the venv (no network for pip), bench.py prints the reference figures next to FieldAgent's.
bench-model:
	$(SWIFT) build -c release --product fieldagent-bench-model
	@{ $(PYTHON) -c 'import tflite_micro, ai_edge_litert' 2>/dev/null || { test -x $(PYTHON) || python3 -m venv $(VENV); } && $(VENV)/bin/pip install -q tflite-micro ai-edge-litert numpy; } \
	  || echo "make bench-model: could not install tflite-micro/ai-edge-litert; printing reference figures" >&2
	@# The venv may have been made by the line above: test for it now, not when make expands the recipe.
	@py=python3; test -x $(PYTHON) && py=$(PYTHON); $$py Models/bench/bench.py --fieldagent .build/release/fieldagent-bench-model

bench-ml: build
	Models/bench/ml-bench.sh $(BIN)
