#!/usr/bin/env python3
"""Trains FieldAgent's default model: a machine-health classifier (normal / degraded / fault) on generated
sensor features, then converts it to a fully int8 .tflite (int8 input and output) for fieldagent-modelc.

Reproducible: fixed seeds, deterministic ops, one thread. Run with `make train` (creates .venv with tensorflow-cpu).
Writes Models/machine_health.tflite and Models/machine_health.meta (labels, features, normalization).
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpy as np
import tensorflow as tf

LABELS = ["normal", "degraded", "fault"]

# name, unit, (normal mean, std), (degraded mean, std), (fault mean, std)
FEATURES = [
    ("vibration_rms_g", "g", (0.25, 0.06), (0.55, 0.12), (1.10, 0.30)),
    ("vibration_peak_g", "g", (0.80, 0.20), (1.90, 0.45), (4.20, 1.20)),
    ("vibration_crest", "ratio", (3.2, 0.35), (3.6, 0.45), (4.4, 0.70)),
    ("vibration_kurtosis", "ratio", (3.0, 0.30), (3.9, 0.60), (6.5, 1.60)),
    ("vibration_high_band", "ratio", (0.10, 0.03), (0.18, 0.05), (0.32, 0.09)),
    ("dominant_frequency_hz", "Hz", (25.0, 1.5), (25.5, 2.5), (27.0, 5.0)),
    ("bearing_temperature_c", "°C", (48.0, 4.0), (58.0, 5.0), (72.0, 7.0)),
    ("temperature_rise_c", "°C/10 min", (0.2, 0.3), (0.9, 0.5), (2.4, 1.0)),
    ("motor_current_a", "A", (8.0, 0.6), (8.9, 0.8), (10.2, 1.3)),
    ("current_imbalance_pct", "%", (1.5, 0.6), (3.2, 1.0), (6.5, 2.2)),
    ("speed_rpm", "rpm", (1480.0, 8.0), (1472.0, 12.0), (1455.0, 20.0)),
    ("power_factor", "ratio", (0.86, 0.02), (0.83, 0.03), (0.78, 0.05)),
]


def generate(n, rng):
    """n samples per class: correlated feature draws around each class's operating point."""
    xs, ys = [], []
    for label in range(len(LABELS)):
        severity = rng.uniform(0.0, 1.0, size=(n, 1))  # shared drift within a sample correlates the features
        cols = []
        for _, _, *params in FEATURES:
            mean, std = params[label]
            nxt = params[min(label + 1, 2)][0]
            cols.append(mean + (nxt - mean) * 0.35 * severity[:, 0] + rng.normal(0, std, size=n))
        xs.append(np.stack(cols, axis=1))
        ys.append(np.full(n, label))
    x = np.concatenate(xs).astype(np.float32)
    y = np.concatenate(ys).astype(np.int64)
    order = rng.permutation(len(y))
    return x[order], y[order]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="Models/machine_health")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--save-float", help="also save the float Keras model here (for Models/train/evaluate.py)")
    args = parser.parse_args()

    tf.keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    rng = np.random.default_rng(args.seed)

    x_train, y_train = generate(3000, rng)
    x_test, y_test = generate(600, rng)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    # Rounded so the .meta file and the agent use exactly these numbers.
    mean = np.array([float(f"{v:.6g}") for v in mean], dtype=np.float32)
    std = np.array([float(f"{v:.6g}") for v in std], dtype=np.float32)
    norm = lambda x: ((x - mean) / std).astype(np.float32)

    model = tf.keras.Sequential([
        tf.keras.Input(shape=(len(FEATURES),)),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dense(len(LABELS), activation="softmax"),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(norm(x_train), y_train, epochs=args.epochs, batch_size=64, verbose=0, shuffle=True)
    _, float_acc = model.evaluate(norm(x_test), y_test, verbose=0)

    def representative():
        for i in range(0, 600):
            yield [norm(x_train[i:i + 1])]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    tflite = converter.convert()
    with open(args.out + ".tflite", "wb") as f:
        f.write(tflite)
    if args.save_float:
        model.save(args.save_float)

    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=tflite)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    scale, zp = inp["quantization"]
    correct = 0
    for i in range(len(y_test)):
        q = np.clip(np.round(norm(x_test[i:i + 1]) / scale) + zp, -128, 127).astype(np.int8)
        interp.set_tensor(inp["index"], q)
        interp.invoke()
        correct += int(np.argmax(interp.get_tensor(out["index"])[0]) == y_test[i])
    int8_acc = correct / len(y_test)

    with open(args.out + ".meta", "w") as f:
        f.write("# Written by Models/train/train.py; read by fieldagent-modelc (make model).\n")
        f.write("# The model input is ((feature - mean) / std), then int8: q = round(x / scale) + zero_point.\n")
        f.write("labels: " + ", ".join(LABELS) + "\n")
        f.write("features: " + ", ".join(name for name, *_ in FEATURES) + "\n")
        f.write("means: " + ", ".join(f"{v:.6g}" for v in mean) + "\n")
        f.write("stds: " + ", ".join(f"{v:.6g}" for v in std) + "\n")
    print(f"{args.out}.tflite: {len(tflite)} bytes; float accuracy {float_acc:.4f}, int8 accuracy {int8_acc:.4f}; "
          f"input scale {scale:.9g} zero point {zp}")


if __name__ == "__main__":
    main()
