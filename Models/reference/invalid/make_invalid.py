#!/usr/bin/env python3
"""Models fieldagent-modelc must refuse, each with the reason and the place (InferenceTests/CompilerErrorTests):
float.tflite (float tensors), tanh.tflite (an unsupported operator), no_quantization.tflite (mlp_health with the
quantization of one weight tensor removed).   .venv/bin/python Models/reference/invalid/make_invalid.py
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import flatbuffers
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

OUT = os.path.dirname(os.path.abspath(__file__))
tf.keras.utils.set_random_seed(1)


def model(activation):
    inp = tf.keras.Input(shape=(4,), batch_size=1)
    return tf.keras.Model(inp, tf.keras.layers.Dense(3, activation=activation)(inp))


def int8(m):
    c = tf.lite.TFLiteConverter.from_keras_model(m)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = lambda: ([np.random.default_rng(i).normal(size=(1, 4)).astype(np.float32)] for i in range(16))
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    c.inference_input_type = tf.int8
    c.inference_output_type = tf.int8
    return c.convert()


open(os.path.join(OUT, "float.tflite"), "wb").write(tf.lite.TFLiteConverter.from_keras_model(model("relu")).convert())
open(os.path.join(OUT, "tanh.tflite"), "wb").write(int8(model("tanh")))

# mlp_health with the weights of operator 0 stripped of their quantization parameters.
buf = open(os.path.join(OUT, "..", "mlp_health.tflite"), "rb").read()
m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(buf, 0))
graph = m.subgraphs[0]
graph.tensors[graph.operators[0].inputs[1]].quantization = None
b = flatbuffers.Builder(0)
b.Finish(m.Pack(b), file_identifier=b"TFL3")
open(os.path.join(OUT, "no_quantization.tflite"), "wb").write(b.Output())
