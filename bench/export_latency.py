"""File sizes, latency and quantisation drift of the exported models (SavedModel vs LiteRT).

    python bench/export_latency.py [--synthesis-model-dir DIR] [--recognition-model-dir DIR]

Without model dirs it builds random-weight models of the default training sizes (synthesis:
3 x 256 LSTM, 10 window and 20 mixture components; recognition: 3 x 128 BLSTM + attention):
sizes and latencies depend on the architecture only, the drift figures on the weights too.
Recognition drift is the character error rate of each TFLite file's text against the
SavedModel's on the same lines (with ``--data``, also each file's CER on the validation
forms); synthesis drift is the largest MDN parameter difference against the float decode
step over one rollout.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def timed(fn, repeats: int) -> float:
    """Median milliseconds of ``fn()`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def default_bundles(root: Path) -> dict:
    import keras

    from hwsr import model_dir as md
    from hwsr.alphabet import Alphabet
    from hwsr.models.recognition_model import HandwritingRecognitionModel
    from hwsr.models.synthesis_model import HandwritingSynthesisModel
    from hwsr.strokes import Normalizer

    keras.utils.set_random_seed(0)
    alphabet = Alphabet.iam_ondb(unknown="drop")
    syn = HandwritingSynthesisModel(vocabulary_size=len(alphabet), units=256, num_layers=3)
    rec = HandwritingRecognitionModel(vocabulary_size=len(alphabet), offset_scale=(40.0, 37.0))
    normalizer = Normalizer((8.0, 0.0), (40.0, 37.0), 1)
    models = (("synthesis", "conditional_handwriting", syn), ("recognition", "recognition", rec))
    for name, task, model in models:
        model.build()
        md.write_model_files(root / name, task, model, alphabet, normalizer,
                             {"downsample": 2, "clip_offset_std": 15.0})
    return {"synthesis": root / "synthesis", "recognition": root / "recognition"}


def test_lines(count: int, max_points: int, seed: int = 0) -> list[np.ndarray]:
    """Cursive-like made-up ink of varying length (raw units)."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(count):
        n = int(rng.integers(max_points // 3, max_points))
        t = np.cumsum(rng.uniform(0.05, 0.3, n))
        xy = np.stack([20 * t + 15 * np.cos(3 * t), 30 * np.sin(2.3 * t) + rng.normal(0, 2, n)], 1)
        strokes = np.zeros((n, 3), np.float32)
        strokes[1:, 1:] = np.diff(xy, axis=0)
        strokes[rng.random(n) < 0.03, 0] = 1.0
        strokes[-1, 0] = 1.0
        lines.append(strokes)
    return lines


def validation_lines(data: Path | None):
    """``(lines, texts)`` of the validation forms of the corpus at ``data`` (the split
    `hwsr-train` uses), or None."""
    if data is None:
        return None
    from hwsr.pipeline.configs import DataConfig
    from hwsr.pipeline.sources import load_corpus

    corpus = load_corpus(str(data))
    corpus = corpus.subset(DataConfig().split(corpus.line_ids)["validation"])
    return [np.asarray(s, np.float32) for s in corpus.strokes], corpus.texts


def bench_recognition(bundle, out: Path, limits, quantizations, repeats: int, lines: int,
                      validation=None) -> list[dict]:
    import tensorflow as tf

    from hwsr.export.saved_model import export_saved_model
    from hwsr.export.tflite import export_tflite
    from hwsr.export.tflite_sampler import TFLiteRecognizer

    version = export_saved_model(bundle, out, 1, limits, with_warmup=False)
    fn = tf.saved_model.load(str(version)).signatures["recognize"]
    data = test_lines(lines, limits.tflite_points)
    reference = []
    for line in data:
        result = fn(strokes=tf.constant(line[None]), lengths=tf.constant([len(line)]))
        reference.append(result["text"].numpy()[0].decode())
    probe = data[0]
    rows = [{
        "model": "recognition", "format": "SavedModel",
        "size_kib": sum(p.stat().st_size for p in version.rglob("*") if p.is_file()) / 1024,
        "latency_ms": timed(lambda: fn(strokes=tf.constant(probe[None]),
                                       lengths=tf.constant([len(probe)])), repeats),
        "drift": "reference",
    }]
    for q in quantizations:
        path = export_tflite(bundle, out / "tflite", limits, q)
        rec = TFLiteRecognizer(path)
        texts = [rec.recognize(line)[0] for line in data]
        errors = sum(edit_distance(a, b) for a, b in zip(texts, reference))
        cer = errors / max(sum(len(r) for r in reference), 1)
        drift = (f"CER vs SavedModel {100 * cer:.2f}% ({sum(a == b for a, b in zip(texts, reference))}"
                 f"/{len(data)} lines identical)")
        if validation is not None:
            from hwsr.metrics import character_error_rate

            fits = [i for i, line in enumerate(validation[0]) if len(line) <= limits.tflite_points]
            read = [rec.recognize(validation[0][i])[0] for i in fits]
            cer = character_error_rate([validation[1][i] for i in fits], read)
            drift += (f"; validation CER {100 * cer:.2f}% ({len(fits)} lines of <= "
                      f"{limits.tflite_points} points)")
        rows.append({
            "model": "recognition", "format": f"TFLite {q}", "size_kib": path.stat().st_size / 1024,
            "latency_ms": timed(lambda rec=rec: rec.recognize(probe), repeats), "drift": drift,
        })
    return rows


def bench_synthesis(bundle, out: Path, limits, quantizations, repeats: int, steps: int) -> list[dict]:
    import tensorflow as tf

    from hwsr.export.saved_model import export_saved_model
    from hwsr.export.tflite import export_tflite
    from hwsr.export.tflite_sampler import TFLiteSynthesizer

    version = export_saved_model(bundle, out, 1, limits, with_warmup=False)
    fn = tf.saved_model.load(str(version)).signatures["serving_default"]
    args = dict(text=tf.constant(["hello world"]), bias=tf.constant([0.75]), seed=tf.constant([1]),
                max_steps=tf.constant([steps]))
    n = int(fn(**args)["lengths"].numpy()[0])
    rows = [{
        "model": "synthesis", "format": "SavedModel",
        "size_kib": sum(p.stat().st_size for p in version.rglob("*") if p.is_file()) / 1024,
        "latency_ms": timed(lambda: fn(**args), max(repeats // 4, 3)) / n,
        "drift": f"reference (per point, {n}-point line)",
    }]
    reference = None
    for q in quantizations:
        path = export_tflite(bundle, out / "tflite", limits, q)
        synth = TFLiteSynthesizer(path)
        chars, _ = synth.encode("hello world")
        rng = np.random.default_rng(0)
        state = np.zeros((1, synth.state_size), np.float32)
        point = np.zeros((1, 3), np.float32)
        params, points = [], []
        for i in range(50):
            o = synth.step(state, point, chars, 0.75)
            params.append(o["params"][0])
            state = o["new_state"]
            point = (reference["points"][i] if reference else synth.sample_point(o, rng))[None]
            points.append(point[0])
        params = np.stack(params)
        if reference is None:
            reference = {"params": params, "points": points}
            drift = "reference for TFLite drift"
        else:
            diff = np.abs(params - reference["params"]).max()
            drift = f"max abs MDN parameter difference vs float {diff:.4f}"
        rows.append({
            "model": "synthesis", "format": f"TFLite {q} decode_step", "size_kib": path.stat().st_size / 1024,
            "latency_ms": timed(lambda s=synth, c=chars, st=state, p=point: s.step(st, p, c, 0.75), repeats),
            "drift": drift,
        })
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthesis-model-dir", type=Path)
    parser.add_argument("--recognition-model-dir", type=Path)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--lines", type=int, default=20, help="recognition lines for the drift figure")
    parser.add_argument("--steps", type=int, default=300, help="max points of the synthesised line")
    parser.add_argument("--quantizations", nargs="+", default=["none", "dynamic", "float16"])
    parser.add_argument("--data", type=Path,
                        help="a corpus (e.g. ../shared/data/iam_ondb_lines): also the validation CER of "
                             "every TFLite recogniser (int8 must stay within 0.3 points of float)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)

    from hwsr.export.limits import ExportLimits
    from hwsr.model_dir import load_model_dir

    limits = ExportLimits()
    with tempfile.TemporaryDirectory(prefix="hwsr-bench-") as tmp:
        tmp = Path(tmp)
        dirs = {"synthesis": args.synthesis_model_dir, "recognition": args.recognition_model_dir}
        shipped = Path(__file__).resolve().parents[1] / "hwsr" / "pretrained"
        for name in dirs:
            if dirs[name] is None and (shipped / name / "model.json").exists():
                dirs[name] = shipped / name
        if not all(dirs.values()):  # No shipped model: random weights of the same sizes.
            defaults = default_bundles(tmp / "models")
            dirs = {k: v or defaults[k] for k, v in dirs.items()}
        print(f"models: {dirs['synthesis']}, {dirs['recognition']}")
        quantizations = list(dict.fromkeys(["none", *args.quantizations]))
        rows = bench_recognition(load_model_dir(dirs["recognition"]), tmp / "export", limits,
                                 quantizations, args.repeats, args.lines, validation_lines(args.data))
        rows += bench_synthesis(load_model_dir(dirs["synthesis"]), tmp / "export", limits,
                                quantizations, args.repeats, args.steps)
    print("| model | format | size (KiB) | latency (ms) | drift |")
    print("|---|---|---:|---:|---|")
    for r in rows:
        print(f"| {r['model']} | {r['format']} | {r['size_kib']:.0f} | {r['latency_ms']:.2f} "
              f"| {r['drift']} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
