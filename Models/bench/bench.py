#!/usr/bin/env python3
"""make bench-model: per-inference latency, batch 1, one thread, for each shared model:
FieldAgent (fieldagent-bench-model, compiled-in) vs TensorFlow Lite Micro (tflite-micro, reference kernels,
through its Python wrapper) vs LiteRT (ai-edge-litert, XNNPACK, 1 thread). Also arena bytes vs TFLM's.
If the Python packages are missing, prints the reference figures (Models/bench/anchors-measured.jsonl)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "reference")
MODELS = ["mlp_health", "cnn_vibration", "ae_anomaly", "zoo_conv", "zoo_residual", "zoo_dscnn"]


def stats(samples):
    samples = sorted(samples)
    return samples[len(samples) // 2], samples[min(len(samples) - 1, len(samples) * 99 // 100)]


def time_calls(call, vectors, seconds):
    for i in range(500):
        call(vectors[i % len(vectors)])
    samples, start, i = [], time.perf_counter(), 0
    while time.perf_counter() - start < seconds and len(samples) < 100000:
        v = vectors[i % len(vectors)]
        t0 = time.perf_counter_ns()
        call(v)
        samples.append((time.perf_counter_ns() - t0) / 1000)
        i += 1
    return stats(samples)


def python_overhead(seconds):
    """Median cost of the timing loop around a Python call that does nothing (subtract it from wrapper figures)."""
    return time_calls(lambda v: None, [0], seconds)[0]


def tflm(name, vectors, seconds):
    from tflite_micro.python.tflite_micro import runtime
    interp = runtime.Interpreter.from_file(os.path.join(REF, name + ".tflite"))

    def call(v):
        interp.set_input(v, 0)
        interp.invoke()

    median, p99 = time_calls(call, vectors, seconds)
    # The arena TFLM used (head = planned activations, total = with its runtime structures).
    saved, tmp = os.dup(2), tempfile.TemporaryFile()
    sys.stderr.flush()
    os.dup2(tmp.fileno(), 2)
    interp.print_allocations()
    os.dup2(saved, 2)
    tmp.seek(0)
    head = total = None
    for line in tmp.read().decode().splitlines():
        if "allocation head" in line:
            head = int(line.split()[-2])
        if "allocation total" in line:
            total = int(line.split()[-2])
    return median, p99, head, total


def litert(name, vectors, seconds):
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_path=os.path.join(REF, name + ".tflite"), num_threads=1)
    interp.allocate_tensors()
    index = interp.get_input_details()[0]["index"]

    def call(v):
        interp.set_tensor(index, v)
        interp.invoke()

    return time_calls(call, vectors, seconds)


def litert_floor(seconds):
    """LiteRT's own per-call cost through Python (set_tensor + invoke) on litert_floor.tflite, a one-unit int8
    FULLY_CONNECTED: what the LiteRT column carries besides the model's kernels."""
    from ai_edge_litert.interpreter import Interpreter
    import numpy as np
    interp = Interpreter(model_path=os.path.join(HERE, "litert_floor.tflite"), num_threads=1)
    interp.allocate_tensors()
    index = interp.get_input_details()[0]["index"]

    def call(v):
        interp.set_tensor(index, v)
        interp.invoke()

    return time_calls(call, [np.zeros((1, 1), dtype=np.int8)], seconds)[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fieldagent", required=True, help="the fieldagent-bench-model binary")
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    ours = {}
    out = subprocess.run([args.fieldagent, "--inputs", REF, "--seconds", str(args.seconds)],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        name, median, p99, arena, _ = line.split()
        ours[name] = (float(median), float(p99), int(arena))

    try:
        import numpy as np
        have_python = True
        import tflite_micro  # noqa: F401
        import ai_edge_litert  # noqa: F401
    except ImportError as e:
        have_python = False
        missing = str(e)

    anchors = {}
    anchor_file = os.path.join(HERE, "anchors-measured.jsonl")
    for line in open(anchor_file):
        if line.strip():
            a = json.loads(line)
            anchors[a["model"]] = a

    print("Per-inference latency, batch 1, one thread, µs (median / p99). TFLM and LiteRT run through their Python")
    print("wrappers; 'net' subtracts the timing loop's own Python call cost.")
    if have_python:
        overhead = python_overhead(0.3)
        floor = litert_floor(0.5)
        print(f"(Python timing-loop overhead measured here: {overhead:.2f} µs; LiteRT's per-call floor, set_tensor + "
              f"invoke on a one-unit model: {floor:.2f} µs)")
    else:
        print(f"NOTE: {missing}; TFLM/LiteRT columns are the reference figures from {anchor_file}")
    header = f"{'model':<15}{'FieldAgent':>18}{'TFLM':>18}{'TFLM net':>10}{'LiteRT XNNPACK':>18}{'XNN net':>9}" \
             f"{'FA/TFLM':>9}{'FA/XNN':>8}{'FA/XNN-floor':>13}{'arena FA':>10}{'TFLM head/total':>17}"
    print(header)
    print("-" * len(header))
    for name in MODELS:
        fa_med, fa_p99, fa_arena = ours[name]
        if have_python:
            from ai_edge_litert.interpreter import Interpreter
            shape = [int(d) for d in Interpreter(model_path=os.path.join(REF, name + ".tflite")).get_input_details()[0]["shape"]]
            size = int(np.prod(shape))
            raw = np.fromfile(os.path.join(REF, name + ".inputs.bin"), dtype=np.int8)
            vectors = [raw[i * size:(i + 1) * size].reshape(shape) for i in range(len(raw) // size)]
            t_med, t_p99, head, total = tflm(name, vectors, args.seconds)
            l_med, l_p99 = litert(name, vectors, args.seconds)
            t_net = max(t_med - overhead, 0.01)
            l_net = max(l_med - overhead, 0.01)
            kernel_ratio = f"{fa_med / max(l_med - floor, 0.01):>12.2f}x"
            tflm_text, lite_text = f"{t_med:.2f} / {t_p99:.2f}", f"{l_med:.2f} / {l_p99:.2f}"
            arena_text = f"{head} / {total}"
        elif name in anchors:
            a = anchors[name]
            t_med, t_net = a["tflm_us"], a["tflm_us"] - 2.5
            l_net = a["litert_xnnpack_us"]  # as recorded (another machine and wrapper): no subtraction
            kernel_ratio = f"{'n/a':>13}"
            tflm_text, lite_text, arena_text = f"{t_med:.1f} (ref)", f"{a['litert_xnnpack_us']:.1f} (ref)", "n/a"
        else:
            print(f"{name:<15}{f'{fa_med:.2f} / {fa_p99:.2f}':>18}   (no reference figures without the Python packages)")
            continue
        print(f"{name:<15}{f'{fa_med:.2f} / {fa_p99:.2f}':>18}{tflm_text:>18}{t_net:>10.2f}{lite_text:>18}{l_net:>9.2f}"
              f"{fa_med / t_med:>8.2f}x{fa_med / l_net:>7.2f}x{kernel_ratio}{fa_arena:>10}{arena_text:>17}")
    print("Reference figures (anchors-measured.jsonl, another run): " + "; ".join(
        f"{n} TFLM {anchors[n]['tflm_us']} LiteRT {anchors[n]['litert_xnnpack_us']} → FA/TFLM {ours[n][0] / anchors[n]['tflm_us']:.2f}x"
        for n in MODELS if n in anchors))
    if "machine_health" in ours:
        m = ours["machine_health"]
        print(f"{'machine_health':<15}{f'{m[0]:.2f} / {m[1]:.2f}':>18}   (the compiled-in default model)"
              f"{'':>30}{m[2]:>10}")
    print("FA/XNN is FieldAgent's median over LiteRT XNNPACK's net median (goal ≤ 1.5, issue 15); FA/XNN-floor divides by")
    print("LiteRT's median minus its per-call floor instead (its kernels alone: the stricter comparison for small models).")
    print("FA/TFLM is FieldAgent's median over TFLM's (goal ≤ 0.5). FieldAgent's arena excludes the caller's input and")
    print("output buffers and includes kernel scratch; TFLM's head is its planned activations, total adds its runtime.")


if __name__ == "__main__":
    main()
