#!/usr/bin/env python3
"""Trains FieldAgent's behaviour model (security:) on the simulation's normal M2M traffic and evaluates it.

  m2m_behaviour  an autoencoder 8 -> 16 -> 4 -> 16 -> 8 over one source's behaviour window (the eight features of
                 Sources/Agent/Security/SourceBehaviour.swift, computed by that code: `fieldagent dataset
                 --behaviour`), trained on normal sources only (peers polling, an operator panel, an allowed
                 writer). On the device the score is the mean squared reconstruction error between the dequantized
                 int8 input and output. Default thresholds: the 99.9th percentile (warn) and the highest (alarm) of
                 the int8 model's scores of normal training windows; security: quarantines above alarm. (The
                 scores of normal windows are few distinct values, set by int8 steps: a whole class of normal
                 sources, e.g. a panel that reads one block, can sit at one of them in every window, so a lower
                 percentile would quarantine it.)

The adversaries' windows (`--adversaries`: scanner, write spammer, replay, rate jump, slowloris) are used only to
evaluate: ROC AUC of held-out normal windows vs each adversary's, float vs int8 (TFLite Micro) vs on-device.

Normalization: (feature - mean) / std over the normal training windows, each std at least the feature's floor in
BehaviourProfile.floors (a feature that never moves in normal traffic, e.g. the exception fraction, would divide
by zero). Reproducible: the data come from the seeded generator in the binary, fixed TensorFlow seeds,
deterministic ops, one thread. Run by `make train`.
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

from wear_models import convert, quantize, reconstruction_scores, rounded, write_meta, write_reference

NAME = "m2m_behaviour"
TRAIN = dict(sources=150, seed=1)
HELD_OUT = dict(sources=40, seed=2)
# BehaviourProfile.floors (Sources/Agent/Security/BehaviourProfile.swift): the smallest deviation per feature.
FLOORS = np.array([1.0, 0.05, 0.05, 0.05, 2, 1, 1, 0.5], dtype=np.float32)
# Normalized inputs beyond this are clipped by the int8 input range: far enough out for any adversary.
INPUT_RANGE = 24.0


def behaviour(fieldagent, sources, seed, adversaries=False):
    """(features [n, 8], kinds [n], window seconds [n], feature names) from `fieldagent dataset --behaviour`."""
    cmd = [fieldagent, "dataset", "--behaviour", "--sources", str(sources), "--seed", str(seed)]
    text = subprocess.run(cmd + (["--adversaries"] if adversaries else []), check=True, capture_output=True,
                          text=True).stdout
    rows = list(csv.reader(io.StringIO(text)))
    header, rows = rows[0], rows[1:]
    x = np.array([[float(v) for v in r[3:]] for r in rows], dtype=np.float32)
    return x, np.array([r[1] for r in rows]), np.array([float(r[2]) for r in rows]), header[3:]


def train(args):
    import tensorflow as tf
    tf.keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    rng = np.random.default_rng(args.seed)

    x, _, _, names = behaviour(args.fieldagent, **TRAIN)
    hx, _, _, _ = behaviour(args.fieldagent, **HELD_OUT)
    mean, std = rounded(x.mean(axis=0)), rounded(np.maximum(x.std(axis=0), FLOORS))
    norm = lambda v: ((v - mean) / std).astype(np.float32)
    ae = tf.keras.Sequential([
        tf.keras.Input(shape=(len(names),)),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dense(4, activation="relu"),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dense(len(names)),
    ])
    ae.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="mse")
    ae.fit(norm(x), norm(x), epochs=60, batch_size=64, verbose=0, shuffle=True)
    # The representative set fixes the int8 ranges: normal windows, plus two corners so that the input range
    # reaches INPUT_RANGE deviations (an adversary's window saturates there, far from anything normal).
    rep = norm(x)[rng.permutation(len(x))[:1000]]
    rep = np.concatenate([rep, np.full((1, len(names)), -INPUT_RANGE / 6, np.float32),
                          np.full((1, len(names)), INPUT_RANGE, np.float32)])
    tflite = convert(ae, rep)
    if args.save_float:
        ae.save(os.path.join(args.save_float, NAME + ".keras"))
    path = os.path.join(args.out, NAME)
    with open(path + ".tflite", "wb") as f:
        f.write(tflite)
    scores = reconstruction_scores(tflite, quantize(norm(x), tflite))
    warn, alarm = np.percentile(scores, 99.9), scores.max()
    fmt = lambda v: ", ".join(f"{float(a):.6g}" for a in v)
    write_meta(path + ".meta", [
        ("kind", "anomaly"), ("score", "reconstruction"),
        ("thresholds", f"{float(warn):.6g}, {float(alarm):.6g}"), ("threshold_percentiles", "99.9, 100"),
        ("features", ", ".join(names)), ("means", fmt(mean)), ("stds", fmt(std)),
    ])
    # Held-out fixtures for the bit-exactness test: normal windows and adversaries' (saturated inputs too).
    ax, _, _, _ = behaviour(args.fieldagent, adversaries=True, **HELD_OUT)
    pick = np.concatenate([hx[np.random.default_rng(7).choice(len(hx), 192, replace=False)],
                           ax[np.random.default_rng(8).choice(len(ax), 64, replace=False)]])
    write_reference(path, path + ".tflite", quantize(norm(pick), tflite))
    print(f"{path}.tflite: {len(tflite)} bytes; thresholds warn {warn:.4g} alarm {alarm:.4g} "
          f"({len(x)} normal training windows)")


def evaluate(fieldagent, floats, out, helpers):
    """The report's section (markdown lines) and its ROC picture. `helpers`: evaluate.py's functions."""
    import tensorflow as tf
    auc, roc, meta, normalizer, quantize_for, run_tflm, on_device, same = helpers
    from wear_models import run_int8, quantization
    import matplotlib.pyplot as plt

    tfl = open(os.path.join(out, NAME + ".tflite"), "rb").read()
    m = meta(os.path.join(out, NAME + ".meta"))
    keras = tf.keras.models.load_model(os.path.join(floats, NAME + ".keras"))
    warn, alarm = (float(v) for v in m["thresholds"])
    norm = normalizer(m)
    nx, nk, _, _ = behaviour(fieldagent, **HELD_OUT)
    ax, ak, _, _ = behaviour(fieldagent, adversaries=True, **HELD_OUT)
    x = np.concatenate([nx, ax])
    kinds = np.concatenate([nk, ak])
    normal = np.isin(kinds, ["poller", "panel", "writer"])
    xn = norm(x)
    score_float = ((keras.predict(xn, verbose=0) - xn) ** 2).mean(axis=1)
    q = quantize_for(xn, tfl)
    (si, zi), (so, zo) = quantization(tfl)
    outq = run_tflm(tfl, q)
    lite = run_int8(tfl, q)
    score_int8 = (((q.astype(np.float64) - zi) * si - (outq.astype(np.float64) - zo) * so) ** 2).mean(axis=1)
    dev, dev_raw, _ = on_device(fieldagent, NAME, q)
    score_dev = dev[:, 0]
    adversaries = ["scanner", "write_spammer", "replay", "rate_jump", "slowloris"]
    rows = []
    for label, sel in [(a, kinds == a) for a in adversaries] + [("every adversary", ~normal)]:
        rows.append((label, int(sel.sum()), [auc(s[normal], s[sel]) for s in (score_float, score_int8, score_dev)],
                     float((score_dev[sel] > alarm).mean())))
    fig, axes = plt.subplots(figsize=(4.6, 4.2))
    for a in adversaries:
        fpr, tpr = roc(score_dev[normal], score_dev[kinds == a])
        axes.plot(fpr, tpr, label=f"{a}: AUC {auc(score_dev[normal], score_dev[kinds == a]):.4f}")
    fpr, tpr = roc(score_dev[normal], score_dev[~normal])
    axes.plot(fpr, tpr, "k--", label=f"every adversary: AUC {auc(score_dev[normal], score_dev[~normal]):.4f}")
    axes.plot([0, 1], [0, 1], ":", color="gray")
    axes.set_xscale("symlog", linthresh=0.01)
    axes.set_xlabel("false positive rate (held-out normal windows)")
    axes.set_ylabel("true positive rate")
    axes.set_title("m2m_behaviour ROC, on-device")
    axes.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "eval", "behaviour_roc.png"), dpi=110)
    plt.close(fig)

    per_kind = {k: float((score_dev[kinds == k] > alarm).mean()) for k in ["poller", "panel", "writer"]}
    r = []
    w = r.append
    w(SECTION + "\n")
    w("Autoencoder over one source's behaviour window (the eight `security:` features, computed by the agent's own "
      "`SourceBehaviour` code: `fieldagent dataset --behaviour`), trained on normal sources only: peers polling the "
      "status and values blocks every 200 ms, 250 ms, 500 ms, 1 s or 2 s, operator panels, an allowed writer of the command block; a "
      "tenth of them appear only after learning. Windows of 5, 10, 20 or 30 s. Score: mean squared reconstruction "
      f"error. Thresholds from training (normal windows): warn {warn:.6g} (99.9th percentile), alarm {alarm:.6g} "
      "(100th: the highest normal training score); `security:` quarantines a source above alarm for `confirm` windows in a row.\n")
    w(f"Held-out: `fieldagent dataset --behaviour --sources {HELD_OUT['sources']} --seed {HELD_OUT['seed']}` "
      f"({int(normal.sum())} normal windows) and the same with `--adversaries` ({int((~normal).sum())} windows; the "
      f"adversaries are never used in training; training used `--sources {TRAIN['sources']} --seed {TRAIN['seed']}`).\n")
    w("| ROC AUC, held-out normal vs | windows | float | int8 | on-device | on-device windows above alarm |\n"
      "|---|---|---|---|---|---|")
    for label, n, aucs, above in rows:
        w(f"| {label} | {n} | " + " | ".join(f"{a:.4f}" for a in aucs) + f" | {above * 100:.1f} % |")
    w("")
    w(f"Held-out normal windows above alarm (false positives per window): {float((score_dev[normal] > alarm).mean()) * 100:.2f} % "
      f"({int((score_dev[normal] > alarm).sum())} of {int(normal.sum())}; pollers {per_kind['poller'] * 100:.2f} %, panels "
      f"{per_kind['panel'] * 100:.2f} %, writers {per_kind['writer'] * 100:.2f} %); above warn: "
      f"{float((score_dev[normal] > warn).mean()) * 100:.2f} %. With `confirm: 2` a normal source is quarantined only "
      "after two such windows in a row.\n")
    w(f"Bit-exactness on these {len(q)} vectors: on-device vs TFLite Micro {same(dev_raw.reshape(-1), outq.reshape(-1))}; "
      f"vs LiteRT {same(dev_raw.reshape(-1), lite.reshape(-1))}.\n")
    w("A rate jump is caught when it leaves the rates of every normal source: a peer polling every 2 s that jumps "
      "5× polls like a normal 400 ms poller, which a model that knows no site cannot tell apart (the per-source "
      "baseline learned on the device can, and names the feature in the log line).\n")
    w("![ROC](eval/behaviour_roc.png)\n")
    return r


SECTION = "## Source behaviour (m2m_behaviour, security:)"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fieldagent", default=".build/debug/fieldagent")
    parser.add_argument("--out", default="Models")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--save-float", help="also save the float Keras model in this directory (for evaluate.py)")
    parser.add_argument("--evaluate", metavar="FLOATS", help="instead of training: evaluate (the float model saved in "
                        "FLOATS, the binary compiled with the model) and rewrite this model's section of EVALUATION.md")
    args = parser.parse_args()
    if not args.evaluate:
        train(args)
        return
    import evaluate as ev
    lines = evaluate(args.fieldagent, args.evaluate, args.out, ev.helpers())
    path = os.path.join(args.out, "EVALUATION.md")
    text = open(path).read()
    text = text.split(SECTION)[0].rstrip("\n") + "\n\n" + "\n".join(lines)
    open(path, "w").write(text)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
