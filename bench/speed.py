"""Speed near the machine's limit (issue 13): sampling, training and recognition in one run,
side by side with the PyTorch peer, with the matmul bound of this machine.

    python bench/speed.py [--threads N] [--only matmul,sample,train,recognize,peer]
                          [--peer-python PY --peer-dir DIR] [--json OUT]

Sizes are Graves' (3 x 400 LSTM, K = 10 window and M = 20 mixture components, alphabet 80,
texts of 30 characters) with random weights; sampling keeps the window moving at a fixed
pace (as the peer harness does) so that every line runs the full ``--sample-steps``. The
shipped models (synthesis 3 x 256, recogniser) are timed too. The peer figures come from
``../shared/bench-peers/xraylaser_bench.py`` run in its own venv (its README says how to
set it up); without ``--peer-python`` the peer columns stay empty.

Bounds: the float32 matmul rate of this machine (numpy's BLAS) at each figure's shape (batch 1 and 16: one
sampling step's ``[B, 883] @ [883, 1600]``; training: ``[32, 883] @ [883, 1600]``) divided by
the FLOPs per step: 7.52 MFLOP per sampled point, 3 x 7.52 = 22.55 MFLOP per training
timestep (forward + backward), the peer README's count. Prints figures; never passes or fails
on time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

UNITS, VOCAB, TEXT, K, M = 400, 80, 30, 10, 20
FORWARD_FLOP = 7_517_800  # one point of the 3 x 400 synthesis net (peer README)
TRAIN_FLOP = 3 * FORWARD_FLOP
SECTIONS = ("matmul", "sample", "train", "recognize", "peer")
PEER_SCRIPT = Path(__file__).resolve().parents[2] / "shared" / "bench-peers" / "xraylaser_bench.py"


CPU = {}  # figure name -> median CPU seconds of this process per call (load-robust)


def median_seconds(fn, repeats: int, warmup: int = 1, name: str | None = None) -> float:
    """Median wall seconds of ``fn()``; with ``name``, also records the median CPU seconds."""
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    if name:
        CPU[name] = statistics.median(cpu)
    return statistics.median(times)


def matmul_rates(seconds: float = 1.0) -> dict:
    """GFLOP/s of ``[B, 883] @ [883, 1600]`` float32 matmuls (numpy's BLAS, all its threads),
    B = 1, 16, 32: the shapes of one layer's step, as in the peer README."""
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(883, 1600)).astype(np.float32)
    rates = {}
    for batch in (1, 16, 32):
        a = rng.normal(size=(batch, 883)).astype(np.float32)
        c = np.empty((batch, 1600), np.float32)
        trials = []
        for _ in range(3):
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds / 3:
                np.matmul(a, weights, out=c)
                count += 1
            trials.append(2 * batch * 883 * 1600 * count / (time.perf_counter() - start) / 1e9)
        rates[batch] = max(trials)
    return rates


def graves_model(units: int = UNITS, steps: int = 300):
    """A random 3-layer synthesis net whose window advances ``0.6 * TEXT / steps`` a step."""
    import keras

    from hwsr.models.synthesis_model import HandwritingSynthesisModel

    keras.utils.set_random_seed(0)
    model = HandwritingSynthesisModel(vocabulary_size=VOCAB, units=units,
                                      num_window_components=K, num_mixture_components=M)
    model.build()
    dense = model.stack.window.dense
    kernel, bias = dense.kernel.numpy(), dense.bias.numpy()
    kernel[:, 2 * K:] = 0.0
    bias[2 * K:] = np.log(0.6 * TEXT / steps * model.kappa_scale)
    dense.kernel.assign(kernel)
    dense.bias.assign(bias)
    return model


def sampling_figures(model, chars_for, steps: int, repeats: int) -> dict:
    """``{batch: (loop steps/s, points/s)}`` of `sample_strokes` at batch 1 and 16."""
    import tensorflow as tf

    from hwsr.sampling import sample_strokes

    run = tf.function(lambda c, s: sample_strokes(model, c, seed=s, max_steps=steps, bias=0.75))
    figures = {}
    for batch in (1, 16):
        chars = chars_for(batch)
        out = {}

        def once(chars=chars, out=out):
            strokes, lengths = run(chars, tf.constant([1, 2]))
            out["steps"], out["points"] = int(strokes.shape[1]), int(lengths.numpy().sum())

        sec = median_seconds(once, repeats, name=f"sample_b{batch}_{model.stack.units}")
        cpu = CPU[f"sample_b{batch}_{model.stack.units}"]
        figures[batch] = (out["steps"] / sec, out["points"] / sec, out["steps"] / cpu)
    return figures


def bench_sample(args) -> dict:
    import tensorflow as tf

    from hwsr.model_dir import PRETRAINED_DIR, load_model_dir

    rng = np.random.default_rng(0)
    random_chars = lambda b: tf.constant(rng.integers(2, VOCAB, (b, TEXT)), tf.int32)  # noqa: E731
    graves = sampling_figures(graves_model(steps=args.sample_steps), random_chars,
                              args.sample_steps, args.repeats)
    bundle = load_model_dir(PRETRAINED_DIR / "synthesis")
    texts = ["The quick brown fox jumps over the lazy dog.", "Pack my box with five dozen jugs!"]

    def shipped_chars(batch):
        codes = [bundle.alphabet.encode(t) for t in (texts * batch)[:batch]]
        width = max(len(c) for c in codes)
        return tf.constant([list(c) + [0] * (width - len(c)) for c in codes], tf.int32)

    shipped = sampling_figures(bundle.model, shipped_chars, 1000, args.repeats)
    return {"graves": graves, "shipped": shipped}


def bench_train(args) -> float:
    """Timesteps/s of one training step (forward, loss, backward, Adam) at b32 x t300."""
    import keras
    import tensorflow as tf

    model = graves_model()
    batch, steps = 32, 300
    rng = np.random.default_rng(0)
    x = {"strokes": tf.constant(rng.normal(size=(batch, steps, 3)), tf.float32),
         "chars": tf.constant(rng.integers(2, VOCAB, (batch, TEXT)), tf.int32)}
    eos = (rng.random((batch, steps, 1)) < 0.05).astype(np.float32)
    y = {"targets": tf.constant(np.concatenate([eos, rng.normal(size=(batch, steps, 2))], -1),
                                tf.float32),
         "mask": tf.ones([batch, steps])}
    optimizer = keras.optimizers.Adam(1e-4)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = model.compute_loss(x, y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    sec = median_seconds(lambda: step().numpy(), args.train_steps, name="train")
    return {"timesteps_per_s": batch * steps / sec, "timesteps_per_cpu_s": batch * steps / CPU["train"]}


def bench_recognize(args) -> dict:
    """Milliseconds for one 600-point line: Keras (`hwsr.Recognizer`) greedy and beam + LM,
    SavedModel, TFLite."""
    import tempfile

    import tensorflow as tf

    sys.path.insert(0, str(Path(__file__).parent))
    from recognition_latency import programmatic_lines

    from hwsr.export.limits import ExportLimits
    from hwsr.export.recognition import recognition_functions
    from hwsr.export.saved_model import write_archive
    from hwsr.export.tflite import export_tflite
    from hwsr.model_dir import PRETRAINED_DIR, load_model_dir
    from hwsr.recognizer import Recognizer

    line = programmatic_lines(1, 600)[0]
    rec = Recognizer.from_pretrained()
    figures = {"keras_greedy_ms": 1000 * median_seconds(lambda: rec.recognize(line, method="greedy"),
                                                        args.repeats * 3),
               # The default reading: beam 16 with the shipped language model.
               "keras_beam_lm_ms": 1000 * median_seconds(lambda: rec.recognize(line), args.repeats * 3)}
    bundle = load_model_dir(PRETRAINED_DIR / "recognition")
    limits = ExportLimits()
    with tempfile.TemporaryDirectory(prefix="hwsr-speed-") as tmp:
        write_archive(bundle, recognition_functions(bundle, limits), f"{tmp}/saved")
        saved = tf.saved_model.load(f"{tmp}/saved").signatures["recognize"]
        strokes, lengths = tf.constant(line[None]), tf.constant([len(line)], tf.int32)
        figures["saved_model_ms"] = 1000 * median_seconds(
            lambda: saved(strokes=strokes, lengths=lengths), args.repeats * 3)
        path = export_tflite(bundle, tmp, limits)
        from ai_edge_litert.interpreter import Interpreter

        points = json.loads(path.with_suffix(".json").read_text())["points"]
        padded = np.zeros((1, points, 3), np.float32)
        padded[0, : len(line)] = line
        for threads in (1, 2):
            runner = Interpreter(model_path=str(path), num_threads=threads).get_signature_runner(
                "recognize")
            for name, inputs in (("padded", padded), ("exact", line[None])):
                try:
                    ms = 1000 * median_seconds(
                        lambda r=runner, s=inputs: r(strokes=s, lengths=np.array([len(line)], np.int32)),
                        args.repeats)
                except (ValueError, RuntimeError):  # a fixed-length file: padded lines only
                    continue
                figures[f"tflite_{name}_{threads}thread_ms"] = ms
    return figures


def bench_peer(args) -> dict:
    """``{RESULT name: value}`` of the peer harness (train and batched sampling loops)."""
    if not args.peer_python:
        return {}
    cmd = [args.peer_python, str(PEER_SCRIPT), "--peer", args.peer_dir,
           "--only", "train,modules", "--warmup", "1", "--train-steps", str(args.train_steps),
           "--sample-steps", str(args.sample_steps), "--sample-repeats", str(args.repeats)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    with tempfile_dir() as cwd:  # the peer writes errors.log where it runs
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, check=False).stdout
    return {m[1]: float(m[2]) for m in re.finditer(r"^RESULT (\S+) (\S+)", out, re.M)}


def tempfile_dir():
    import tempfile

    return tempfile.TemporaryDirectory(prefix="hwsr-peer-")


def ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def fmt(v) -> str:
    return f"{v:,.0f}" if v else "-"


def report(fig: dict) -> None:
    rates, peer = fig.get("matmul", {}), fig.get("peer", {})
    sample, train = fig.get("sample", {}), fig.get("train", {}).get("timesteps_per_s")
    tag = f"synth_h{UNITS}_m{M}_k{K}_a{VOCAB}"
    rows = []
    if train or peer:
        bound = rates.get(32, 0) * 1e9 / TRAIN_FLOP if rates else 0
        p = peer.get(f"{tag}_train_b32_t300_timesteps_per_s")
        rows.append(("training b32 x t300, timesteps/s", p, train, bound))
    if sample or peer:
        g = sample.get("graves", {})
        bound1 = rates.get(1, 0) * 1e9 / FORWARD_FLOP if rates else 0
        bound16 = rates.get(16, 0) * 1e9 / FORWARD_FLOP if rates else 0
        rows.append(("sampling b1, steps/s", peer.get(f"{tag}_modules_sample_b1_steps_per_s"),
                     g.get(1, (0, 0))[0], bound1))
        rows.append(("sampling b16, points/s", peer.get(f"{tag}_modules_sample_b16_points_per_s"),
                     g.get(16, (0, 0))[1], bound16))
    print(f"\nthreads: {fig['threads'] or 'TF default'}; load average before/after: "
          f"{fig['load'][0]} / {fig['load'][1]}")
    if rates:
        print("matmul [B, 883] @ [883, 1600] GFLOP/s: "
              + ", ".join(f"B={b}: {r:.1f}" for b, r in rates.items()))
    print("\n| figure (3x400, K=10, M=20, A=80) | peer | hwsr | hwsr/peer | machine bound "
          "| hwsr % of bound |")
    print("|---|---|---|---|---|---|")
    for name, p, h, bound in rows:
        share = f"{100 * h / bound:.0f} %" if h and bound else "-"
        print(f"| {name} | {fmt(p)} | {fmt(h)} | {ratio(h, p)} | {fmt(bound)} | {share} |")
    if train:
        print(f"\ntraining: {fig['train']['timesteps_per_cpu_s']:,.0f} timesteps per CPU-second")
    if sample.get("graves"):
        g = sample["graves"]
        print(f"sampling 3x400: b1 {g[1][2]:,.0f}, b16 {g[16][2]:,.0f} loop steps per CPU-second")
    if sample.get("shipped"):
        s = sample["shipped"]
        print(f"\nshipped synthesis model (3x256): b1 {s[1][0]:,.0f} steps/s; "
              f"b16 {s[16][0]:,.0f} steps/s = {s[16][1]:,.0f} points/s")
    if fig.get("recognize"):
        print("recognition, shipped model, one 600-point line (ms): "
              + ", ".join(f"{k[:-3]} {v:.1f}" for k, v in fig["recognize"].items()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default=",".join(SECTIONS))
    p.add_argument("--threads", type=int, default=0, help="TF intra/inter-op threads (0: default)")
    p.add_argument("--sample-steps", type=int, default=300)
    p.add_argument("--train-steps", type=int, default=3, help="timed training steps (median)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--peer-python", default=os.environ.get("HWSR_PEER_PYTHON"),
                   help="python of the peer's venv (see ../shared/bench-peers/README.md)")
    p.add_argument("--peer-dir", default=os.environ.get("XRAYLASER_PEER", "peer/xraylaser"))
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args()
    sections = [s for s in args.only.split(",") if s]
    if unknown := set(sections) - set(SECTIONS):
        p.error(f"unknown sections {sorted(unknown)}; expected some of {', '.join(SECTIONS)}")
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    load = [f"{os.getloadavg()[0]:.2f}"]
    fig = {"threads": args.threads}
    runners = {"matmul": lambda: matmul_rates(), "sample": lambda: bench_sample(args),
               "train": lambda: bench_train(args), "recognize": lambda: bench_recognize(args),
               "peer": lambda: bench_peer(args)}
    for name in sections:
        start = time.perf_counter()
        fig[name] = runners[name]()
        print(f"# {name}: {time.perf_counter() - start:.0f} s, load {os.getloadavg()[0]:.2f}: "
              f"{json.dumps(fig[name], default=str)}", flush=True)
    fig["load"] = [*load, f"{os.getloadavg()[0]:.2f}"]
    report(fig)
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
