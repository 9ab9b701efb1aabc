#!/usr/bin/env python3
"""Trains FieldAgent's wear models on the simulated machine's run-to-failure data (`fieldagent dataset`):

  machine_anomaly  an autoencoder 12 -> 8 -> 4 -> 8 -> 12 trained on normal windows only; on the device the score is
                   the mean squared reconstruction error between the dequantized int8 input and output. Default
                   thresholds: the 99th (warn) and 99.9th (alarm) percentile of the int8 model's scores of normal
                   training windows.
  machine_rul      a regressor 12 -> 32 -> 16 -> 1: remaining useful life in hours (capped at RUL_CAP_H: a healthy
                   machine shows no sign of how long it has left), output = rul / RUL_CAP_H.

Both are converted to fully int8 .tflite (int8 input and output) for fieldagent-modelc, with a .meta each (features,
normalization, kind, thresholds or outputs), and 256 held-out int8 input vectors with TFLite Micro's outputs
(NAME.inputs.bin, NAME.expected.bin) that the tests compare FieldAgent's compiled model against, bit for bit.

Reproducible: the data come from the seeded generator in the binary, fixed TensorFlow seeds, deterministic ops, one
thread. Run with `make train`.
"""
import argparse
import csv
import io
import os
import subprocess

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpy as np
import tensorflow as tf

RUL_CAP_H = 250.0
TRAIN = dict(runs=60, seed=1)
HELD_OUT = dict(runs=20, seed=2)


def dataset(fieldagent, runs, seed):
    """(features [n,12], severity [n], rul_h [n], run [n], feature names) from `fieldagent dataset`."""
    text = subprocess.run([fieldagent, "dataset", "--runs", str(runs), "--seed", str(seed)], check=True,
                          capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(text)))
    header, rows = rows[0], rows[1:]
    data = np.array([[float(v) for v in r] for r in rows], dtype=np.float64)
    return data[:, 4:].astype(np.float32), data[:, 2], data[:, 3], data[:, 0].astype(int), header[4:]


def rounded(values):
    return np.array([float(f"{v:.6g}") for v in values], dtype=np.float32)


def convert(model, representative):
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([r[None, :]] for r in representative)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def quantize(x, tflite):
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=tflite)
    scale, zp = interp.get_input_details()[0]["quantization"]
    return np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)


def run_int8(tflite, q):
    """LiteRT's int8 outputs for int8 inputs q [n, k]."""
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=tflite)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    outs = []
    for row in q:
        interp.set_tensor(inp["index"], row[None, :])
        interp.invoke()
        outs.append(interp.get_tensor(out["index"])[0].copy())
    return np.array(outs, dtype=np.int8)


def quantization(tflite):
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=tflite)
    return interp.get_input_details()[0]["quantization"], interp.get_output_details()[0]["quantization"]


def reconstruction_scores(tflite, q):
    """The device's score: mean squared error between dequantized int8 input and output."""
    (si, zi), (so, zo) = quantization(tflite)
    out = run_int8(tflite, q)
    x = (q.astype(np.float64) - zi) * si
    y = (out.astype(np.float64) - zo) * so
    return ((x - y) ** 2).mean(axis=1)


def write_reference(path, tflite_path, q):
    """256 held-out int8 inputs and TFLite Micro's outputs: the bit-exactness fixtures."""
    from tflite_micro.python.tflite_micro import runtime
    interp = runtime.Interpreter.from_file(tflite_path)
    outs = []
    for v in q:
        interp.set_input(v[None, :], 0)
        interp.invoke()
        outs.append(np.array(interp.get_output(0), dtype=np.int8).reshape(-1))
    q.astype(np.int8).tofile(path + ".inputs.bin")
    np.concatenate(outs).astype(np.int8).tofile(path + ".expected.bin")


def write_meta(path, lines):
    with open(path, "w") as f:
        f.write("# Written by Models/train/wear_models.py (make train); read by fieldagent-modelc (make model).\n")
        f.write("# The model input is ((feature - mean) / std), then int8: q = round(x / scale) + zero_point.\n")
        for k, v in lines:
            f.write(f"{k}: {v}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fieldagent", default=".build/debug/fieldagent")
    parser.add_argument("--out", default="Models")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--save-float", help="also save the float Keras models in this directory (for evaluate.py)")
    args = parser.parse_args()

    tf.keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    rng = np.random.default_rng(args.seed)

    x, severity, rul, _, names = dataset(args.fieldagent, **TRAIN)
    hx, hseverity, hrul, _, _ = dataset(args.fieldagent, **HELD_OUT)
    fmt = lambda v: ", ".join(f"{float(a):.6g}" for a in v)

    # --- anomaly: an autoencoder on normal windows only
    normal = x[severity == 0]
    mean, std = rounded(normal.mean(axis=0)), rounded(normal.std(axis=0))
    norm = lambda v: ((v - mean) / std).astype(np.float32)
    ae = tf.keras.Sequential([
        tf.keras.Input(shape=(len(names),)),
        tf.keras.layers.Dense(8, activation="relu"),
        tf.keras.layers.Dense(4, activation="relu"),
        tf.keras.layers.Dense(8, activation="relu"),
        tf.keras.layers.Dense(len(names)),
    ])
    ae.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="mse")
    ae.fit(norm(normal), norm(normal), epochs=60, batch_size=64, verbose=0, shuffle=True)
    rep = norm(normal)[rng.permutation(len(normal))[:1000]]
    ae_tflite = convert(ae, rep)
    if args.save_float:
        ae.save(os.path.join(args.save_float, "machine_anomaly.keras"))
    ae_path = os.path.join(args.out, "machine_anomaly")
    with open(ae_path + ".tflite", "wb") as f:
        f.write(ae_tflite)
    train_scores = reconstruction_scores(ae_tflite, quantize(norm(normal), ae_tflite))
    warn, alarm = np.percentile(train_scores, 99), np.percentile(train_scores, 99.9)
    write_meta(ae_path + ".meta", [
        ("kind", "anomaly"), ("score", "reconstruction"),
        ("thresholds", f"{float(warn):.6g}, {float(alarm):.6g}"), ("threshold_percentiles", "99, 99.9"),
        ("features", ", ".join(names)), ("means", fmt(mean)), ("stds", fmt(std)),
    ])
    pick = np.random.default_rng(7).choice(len(hx), 256, replace=False)
    write_reference(ae_path, ae_path + ".tflite", quantize(norm(hx[pick]), ae_tflite))
    print(f"{ae_path}.tflite: {len(ae_tflite)} bytes; thresholds warn {warn:.4g} alarm {alarm:.4g} "
          f"({len(normal)} normal training windows)")

    # --- remaining useful life: a regressor on every window, target min(rul, cap) / cap
    rmean, rstd = rounded(x.mean(axis=0)), rounded(x.std(axis=0))
    rnorm = lambda v: ((v - rmean) / rstd).astype(np.float32)
    target = (np.minimum(rul, RUL_CAP_H) / RUL_CAP_H).astype(np.float32)
    reg = tf.keras.Sequential([
        tf.keras.Input(shape=(len(names),)),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dense(1),
    ])
    reg.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="mae")
    reg.fit(rnorm(x), target, epochs=40, batch_size=64, verbose=0, shuffle=True)
    rep = rnorm(x)[rng.permutation(len(x))[:1000]]
    rul_tflite = convert(reg, rep)
    if args.save_float:
        reg.save(os.path.join(args.save_float, "machine_rul.keras"))
    rul_path = os.path.join(args.out, "machine_rul")
    with open(rul_path + ".tflite", "wb") as f:
        f.write(rul_tflite)
    write_meta(rul_path + ".meta", [
        ("kind", "regression"), ("outputs", "rul"), ("units", "h"),
        ("output_scales", f"{RUL_CAP_H:g}"), ("output_offsets", "0"),
        ("features", ", ".join(names)), ("means", fmt(rmean)), ("stds", fmt(rstd)),
    ])
    write_reference(rul_path, rul_path + ".tflite", quantize(rnorm(hx[pick]), rul_tflite))
    print(f"{rul_path}.tflite: {len(rul_tflite)} bytes ({len(x)} training windows, RUL cap {RUL_CAP_H:g} h)")


if __name__ == "__main__":
    main()
