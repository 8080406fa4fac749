"""The parity table of issue 14: every inference path against the Python API.

For the same text, seed, bias and style, `Synthesizer.generate` is the reference; this runs
the SavedModel signatures (``tf.saved_model.load``), ``hwsr serve`` over REST (both request
formats) and gRPC, and the TFLite sampler (float, with the API's random numbers), and
prints, per path, whether the strokes have the API's lengths and their largest absolute
difference (raw units). Recognition likewise: texts equal and the largest score difference
against `Recognizer.recognize` (greedy, no language model).

    python bench/parity_table.py                 # the shipped models (exports them to a temp dir)
    python bench/parity_table.py --tiny          # tiny random models built in code (fast)

Loopback only; stops by itself. ``tests/export/shipped_parity_test.py`` runs it on the
shipped models and checks the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
from pathlib import Path

import numpy as np

TEXTS = ["hello world", "ab"]
CASES = [dict(bias=1.0, seed=1, max_steps=300), dict(bias=0.3, seed=-7, max_steps=250)]
NAMES = ("hwsr_synthesis", "hwsr_recognition")


def export_all(synthesis_bundle, recognition_bundle, base: Path, limits, tflite: bool = True) -> dict:
    """SavedModels (and float .tflite files) of both models under ``base``."""
    from hwsr.export.saved_model import export_saved_model

    for bundle in (synthesis_bundle, recognition_bundle):
        export_saved_model(bundle, base, 1, limits, with_warmup=False)
    files = {}
    if tflite:
        from hwsr.export.tflite import export_tflite

        files = {"synthesis": export_tflite(synthesis_bundle, base / "tflite", limits),
                 "recognition": export_tflite(recognition_bundle, base / "tflite", limits)}
    return files


@contextlib.contextmanager
def serving(base: Path):
    """``{"REST inputs": client, "REST instances": ..., "gRPC": ...}`` on a local `hwsr serve`."""
    from hwsr.serving.http_server import make_http_server
    from hwsr.serving.registry import ModelRegistry
    from hwsr.serving.rest_client import RestClient

    registry = ModelRegistry(base, names=list(NAMES))
    http = make_http_server(registry, "127.0.0.1", 0)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{http.server_address[1]}"
    clients = {f"hwsr serve REST ({f})": RestClient(url, timeout=600, format=f)
               for f in ("inputs", "instances")}
    grpc_server = None
    try:
        from hwsr.serving.grpc_client import GrpcClient
        from hwsr.serving.grpc_server import make_grpc_server

        grpc_server, port = make_grpc_server(registry, "127.0.0.1", 0)
        clients["hwsr serve gRPC"] = GrpcClient(f"127.0.0.1:{port}", timeout=600)
    except ImportError:
        pass  # No tensorflow-serving-api: the table says gRPC was not run.
    try:
        yield clients
    finally:
        http.shutdown()
        http.server_close()
        if grpc_server is not None:
            grpc_server.stop(grace=None)


def saved_model_synthesize(module, texts, bias, seed, max_steps, style=None) -> list[np.ndarray]:
    """The ``synthesize`` / ``synthesize_primed`` signature of a loaded SavedModel."""
    import tensorflow as tf

    n = len(texts)
    args = dict(text=tf.constant(texts), bias=tf.constant([bias] * n, tf.float32),
                seed=tf.constant([seed] * n, tf.int32), max_steps=tf.constant([max_steps] * n))
    if style is None:
        out = module.signatures["synthesize"](**args)
    else:
        strokes, text = style
        out = module.signatures["synthesize_primed"](
            **args, prime_strokes=tf.constant(np.repeat(strokes[np.newaxis], n, 0)),
            prime_lengths=tf.constant([len(strokes)] * n), prime_text=tf.constant([text] * n))
    return [s[:k] for s, k in zip(out["strokes"].numpy(), out["lengths"].numpy())]


def saved_model_recognize(module, lines) -> list[tuple[str, float]]:
    import tensorflow as tf

    from hwsr.inference.recognition_io import pad_lines, prepare_lines

    strokes, lengths = pad_lines(prepare_lines(lines))
    out = module.signatures["recognize"](strokes=tf.constant(strokes), lengths=tf.constant(lengths))
    return [(t.decode(), float(s)) for t, s in zip(out["text"].numpy(), out["scores"].numpy())]


def stroke_difference(got, expected) -> tuple[bool, float]:
    """``(same lengths, max |difference|)`` over lines (inf when the lengths differ)."""
    same = [len(g) for g in got] == [len(e) for e in expected]
    if not same:
        return False, float("inf")
    return True, max(float(np.abs(g - e).max()) for g, e in zip(got, expected))


def synthesis_rows(synth, base: Path, clients: dict, tflite_file=None, style=None) -> list[tuple]:
    """``[(path, same lengths, max |d strokes|)]`` over `CASES`, plain and primed."""
    import tensorflow as tf

    module = tf.saved_model.load(str(base / "hwsr_synthesis" / "1"))
    paths = {"SavedModel synthesize/_primed": lambda texts, **kw: saved_model_synthesize(module, texts, **kw),
             **{name: client.synthesize for name, client in clients.items()}}
    if tflite_file is not None:
        from hwsr.export.tflite_sampler import TFLiteSynthesizer

        sampler = TFLiteSynthesizer(tflite_file)
        paths["TFLite sampler (float, noise=tensorflow)"] = lambda texts, **kw: [
            sampler.synthesize(t, noise="tensorflow", **kw) for t in texts]
    results = {name: [True, 0.0] for name in paths}
    for case in CASES:
        for prime in (None, style):
            kwargs = dict(case, style=prime)
            for name, run in paths.items():
                # The TFLite loop runs one line at a time: compare it with single-line API calls.
                single = name.startswith("TFLite")
                for texts in ([[t] for t in TEXTS] if single else [TEXTS]):
                    same, diff = stroke_difference(run(texts, **kwargs), synth.generate(texts, **kwargs))
                    results[name][0] &= same
                    results[name][1] = max(results[name][1], diff)
    return [(name, *values) for name, values in results.items()]


def recognition_rows(recognizer, base: Path, clients: dict, lines, tflite_file=None) -> list[tuple]:
    """``[(path, same texts, max |d score|)]`` against ``recognizer.recognize(lines)``."""
    import tensorflow as tf

    expected = recognizer.recognize(lines, method="greedy")  # Built without a language model.
    module = tf.saved_model.load(str(base / "hwsr_recognition" / "1"))
    got = {"SavedModel recognize": saved_model_recognize(module, lines),
           **{name: client.recognize(lines) for name, client in clients.items()}}
    if tflite_file is not None:
        from hwsr.export.tflite_sampler import TFLiteRecognizer

        reader = TFLiteRecognizer(tflite_file)
        got["TFLite recogniser (float)"] = [reader.recognize(line) for line in lines]
    rows = []
    for name, answers in got.items():
        same = [t for t, _ in answers] == [r.text for r in expected]
        rows.append((name, same, max(abs(s - r.score) for (_, s), r in zip(answers, expected))))
    return rows


def print_table(title: str, rows: list[tuple], what: str) -> None:
    print(f"\n{title}\n\n| path | same {what} as the API | max abs diff |\n|---|---|---|")
    for name, same, diff in rows:
        print(f"| {name} | {'yes' if same else 'NO'} | {diff:.3g} |")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="tiny random models built in code")
    p.add_argument("--no-tflite", action="store_true", help="skip the TFLite paths")
    args = p.parse_args(argv)

    from hwsr.export.limits import ExportLimits
    from hwsr.model_dir import PRETRAINED_DIR, load_model_dir
    from hwsr.recognizer import Recognizer
    from hwsr.synthesizer import Synthesizer
    from hwsr.testing import random_lines, write_tiny_recognition_dir, write_tiny_synthesis_dir

    with tempfile.TemporaryDirectory(prefix="hwsr-parity-") as tmp:
        tmp = Path(tmp)
        if args.tiny:
            dirs = (write_tiny_synthesis_dir(tmp / "s"), write_tiny_recognition_dir(tmp / "r"))
        else:
            dirs = (PRETRAINED_DIR / "synthesis", PRETRAINED_DIR / "recognition")
        synthesis, recognition = (load_model_dir(d) for d in dirs)
        synth, recognizer = Synthesizer(synthesis), Recognizer(recognition)
        files = export_all(synthesis, recognition, tmp / "export", ExportLimits(),
                           tflite=not args.no_tflite)
        if synth.styles():
            strokes, text = synth.load_style(synth.styles()[0])
            from hwsr.strokes import interpolate_points

            style = (interpolate_points(strokes, synth.downsample), text)
        else:
            lines, texts = random_lines(1, seed=2)
            style = (lines[0], texts[0])
        with serving(tmp / "export") as clients:
            rows = synthesis_rows(synth, tmp / "export", clients, files.get("synthesis"), style)
            print_table(f"Synthesis ({'tiny' if args.tiny else 'shipped'} model; texts {TEXTS}, "
                        f"cases {CASES}, plain and primed)", rows, "lengths")
            lines = synth.generate(TEXTS, seed=3) + random_lines(2, seed=4)[0]
            rows = recognition_rows(recognizer, tmp / "export", clients, lines, files.get("recognition"))
            print_table(f"Recognition ({len(lines)} lines; greedy decoding, score = CTC "
                        "log-likelihood)", rows, "texts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
