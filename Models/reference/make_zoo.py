#!/usr/bin/env python3
"""Builds small int8 models that exercise what the shared models do not (2-D kernels, same padding with odd
totals, strides, dilation, depth multipliers, ADD with fused ReLU, LOGISTIC, per-tensor FULLY_CONNECTED), and
records TFLite Micro's outputs for them, in the format of the shared models (NAME.tflite, NAME.inputs.bin,
NAME.expected.bin, NAME.stress_inputs.bin, NAME.stress_expected.bin). Untrained (random weights): the point is
the arithmetic, not accuracy.

    .venv/bin/python Models/reference/make_zoo.py [NAME...]     (then: make reference-models)
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
import numpy as np
import tensorflow as tf
from tflite_micro.python.tflite_micro import runtime

OUT = os.path.dirname(os.path.abspath(__file__))
L = tf.keras.layers


def zoo_conv():
    x = inp = tf.keras.Input(shape=(21, 14, 3), batch_size=1)
    x = L.Conv2D(8, (3, 3), strides=(2, 2), padding="same", activation="relu6")(x)
    x = L.DepthwiseConv2D((3, 3), depth_multiplier=2, padding="same", activation="relu")(x)
    x = L.AveragePooling2D((3, 3), strides=(2, 2), padding="same")(x)
    x = L.Conv2D(12, (2, 3), strides=(1, 1), padding="same", activation="relu")(x)
    x = L.MaxPooling2D((2, 2), padding="same")(x)
    x = L.Conv2D(6, (2, 2), dilation_rate=(2, 1), padding="valid")(x)
    x = L.Flatten()(x)
    x = L.Dense(5, activation="sigmoid")(x)
    return tf.keras.Model(inp, x), False


def zoo_residual():
    x = inp = tf.keras.Input(shape=(9, 7, 4), batch_size=1)
    a = L.Conv2D(16, (1, 1), activation="relu")(x)
    b = L.DepthwiseConv2D((5, 3), strides=(2, 1), padding="valid")(a)
    c = L.Conv2D(16, (3, 3), padding="same")(b)
    x = L.Activation("relu")(L.Add()([b, c]))
    x = L.Conv2D(16, (3, 2), strides=(2, 2), padding="same")(x)
    x = L.Conv2D(8, (3, 3), padding="same", dilation_rate=(2, 2), activation="relu")(x)
    x = L.Flatten()(x)
    x = L.Dense(24, activation="relu")(x)
    x = L.Dense(4, activation="softmax")(x)
    return tf.keras.Model(inp, x), True


def zoo_dscnn():
    """A keyword-spotting DS-CNN (ARM's DS-CNN-S shape): 49×10 MFCC input, 10×4 stride-2 conv to 64 channels, four
    depthwise-separable blocks, global average pooling, 12 classes. ~2.7 M MACs, for the speed goal of issue 15."""
    x = inp = tf.keras.Input(shape=(49, 10, 1), batch_size=1)
    x = L.Conv2D(64, (10, 4), strides=(2, 2), padding="same", activation="relu")(x)
    for _ in range(4):
        x = L.DepthwiseConv2D((3, 3), padding="same", activation="relu")(x)
        x = L.Conv2D(64, (1, 1), activation="relu")(x)
    x = L.AveragePooling2D((25, 5))(x)
    x = L.Flatten()(x)
    x = L.Dense(12, activation="softmax")(x)
    return tf.keras.Model(inp, x), False


def convert(model, per_tensor_dense, rng):
    shape = (1,) + tuple(model.input.shape[1:])

    def representative():
        for _ in range(64):
            yield [rng.normal(0, 1, size=shape).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    if per_tensor_dense:
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    return converter.convert()


def tflm_outputs(path, vectors):
    interp = runtime.Interpreter.from_file(path)
    outs = []
    for v in vectors:
        interp.set_input(v, 0)
        interp.invoke()
        outs.append(np.array(interp.get_output(0), dtype=np.int8).reshape(-1))
    return np.concatenate(outs)


ZOO = [("zoo_conv", zoo_conv, 0.4, 5), ("zoo_residual", zoo_residual, 0.2, 5), ("zoo_dscnn", zoo_dscnn, None, 15)]


def main():
    # Models named on the command line only (default: all). zoo_conv and zoo_residual draw from one seeded sequence:
    # regenerate them together.
    wanted = sys.argv[1:] or [z[0] for z in ZOO]
    seeded = set()
    for name, build, spread, seed in ZOO:
        if seed not in seeded:
            tf.keras.utils.set_random_seed(seed)
            rng = np.random.default_rng(seed)
            seeded.add(seed)
        if name not in wanted:
            continue
        model, per_tensor = build()
        # Random but not tiny weights and biases, so every op sees a spread of values. spread None: He-scaled kernels
        # and small biases (a deep stack keeps its activations varied instead of saturating).
        for w in model.weights:
            if spread is None:
                fan_in = int(np.prod(w.shape[:-1])) if len(w.shape) > 1 else 0
                if len(w.shape) == 4 and w.shape[3] == 1 and w.shape[2] > 1:  # depthwise [kh, kw, c, 1]
                    fan_in = int(np.prod(w.shape[:2]))
                std = np.sqrt(2.0 / fan_in) if fan_in else 0.05
                w.assign(rng.normal(0, std, size=w.shape).astype(np.float32))
            else:
                w.assign(rng.normal(0, spread, size=w.shape).astype(np.float32))
        tflite = convert(model, per_tensor, rng)
        path = os.path.join(OUT, name + ".tflite")
        with open(path, "wb") as f:
            f.write(tflite)
        shape = (1,) + tuple(model.input.shape[1:])
        count = int(np.prod(shape))
        inputs = rng.integers(-128, 128, size=(64,) + shape, dtype=np.int8)
        stress = [np.full(shape, v, dtype=np.int8) for v in (0, -128, 127)]
        stress += list(rng.integers(-128, 128, size=(13,) + shape, dtype=np.int8))
        stress = np.stack(stress)
        inputs.tofile(os.path.join(OUT, name + ".inputs.bin"))
        tflm_outputs(path, inputs).tofile(os.path.join(OUT, name + ".expected.bin"))
        stress.tofile(os.path.join(OUT, name + ".stress_inputs.bin"))
        tflm_outputs(path, stress).tofile(os.path.join(OUT, name + ".stress_expected.bin"))
        print(f"{name}: {len(tflite)} bytes, input {shape} ({count} values)")


if __name__ == "__main__":
    sys.exit(main())
