"""Peak memory and time of ``hwsr recognize`` on one very long InkML line.

    python bench/long_line_memory.py [--points 20000 50000 200000] [--rss-cap-gb 8]
                                     [--model-dir DIR] [--serving] [--json]

Each line is the random walk of issue #15 (``np.cumsum(normal(size=(N, 2)))``, seed 0, one
pen stroke), written as InkML to a temporary folder. ``hwsr recognize`` runs on it in a
subprocess whose resident memory (RSS, with its children) is sampled every 50 ms; a run
that passes ``--rss-cap-gb`` is killed there (so that a quadratic-memory build cannot take
the machine down) and reported as such. ``--serving`` instead times how fast an exported
recogniser refuses each line (a tiny random-weight export: the refusal comes before any model
work): the SavedModel signature called directly, and a REST request to `hwsr serve`'s
handler on 127.0.0.1. Prints figures; never passes or fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

GB = 1024**3


def write_walk_inkml(path: Path, points: int, seed: int = 0) -> None:
    """The issue's reproduction: one trace of ``points`` random-walk points."""
    xy = np.cumsum(np.random.default_rng(seed).normal(size=(points, 2)), 0)
    trace = ", ".join(f"{x:.2f} {y:.2f}" for x, y in xy)
    path.write_text(f'<ink xmlns="http://www.w3.org/2003/InkML"><trace>{trace}</trace></ink>')


def run_measured(command: list[str], rss_cap: float) -> dict:
    """Runs ``command``; returns its exit code, wall time, peak RSS and whether it was capped."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(proc.pid)
    peak, capped = 0, False
    while proc.poll() is None:
        try:
            rss = watched.memory_info().rss + sum(c.memory_info().rss for c in watched.children(True))
        except psutil.Error:
            rss = 0
        peak = max(peak, rss)
        if rss > rss_cap:
            capped = True
            proc.kill()
            break
        time.sleep(0.05)
    out, err = proc.communicate()
    lines = (err or out).strip().splitlines()
    return {"rc": proc.returncode, "seconds": round(time.perf_counter() - start, 2),
            "peak_rss_gb": round(peak / GB, 3), "killed_at_cap": capped,
            "message": out.strip()[:80] if proc.returncode == 0 else (lines[-1][:200] if lines else "")}


def serving_refusals(points: list[int]) -> list[dict]:
    """Seconds an export (signature, then REST) takes to refuse a walk of each length."""
    import threading
    import urllib.error
    import urllib.request

    import tensorflow as tf

    from hwsr.export.saved_model import export_saved_model
    from hwsr.model_dir import load_model_dir
    from hwsr.serving.http_server import make_http_server
    from hwsr.serving.registry import ModelRegistry, graph_error_message
    from hwsr.testing import write_tiny_recognition_dir

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        bundle = load_model_dir(write_tiny_recognition_dir(Path(tmp) / "rec"))
        export_saved_model(bundle, Path(tmp) / "export", 1, with_warmup=False)
        registry = ModelRegistry(Path(tmp) / "export")
        recognize = registry.get("hwsr_recognition").signatures["serving_default"]
        server = make_http_server(registry, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/v1/models/hwsr_recognition:predict"
        try:
            for n in points:
                xy = np.cumsum(np.random.default_rng(0).normal(size=(n, 2)), 0)
                strokes = np.zeros((1, n, 3), np.float32)
                strokes[0, 1:, 1:] = np.diff(xy, axis=0)
                strokes[0, -1, 0] = 1
                start = time.perf_counter()
                try:
                    recognize(strokes=tf.constant(strokes), lengths=tf.constant([n], tf.int32))
                    graph = "accepted"
                except tf.errors.InvalidArgumentError as e:
                    graph = graph_error_message(e)[:200]
                graph_s = time.perf_counter() - start
                body = json.dumps({"inputs": {"strokes": strokes.tolist(), "lengths": [n]}}).encode()
                start = time.perf_counter()
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=120) as r:
                        rest = f"HTTP {r.status}"
                except urllib.error.HTTPError as e:
                    rest = f"HTTP {e.code}: {json.loads(e.read())['error'][:120]}"
                out.append({"points": n, "signature_s": round(graph_s, 3), "signature": graph,
                            "rest_s": round(time.perf_counter() - start, 3),
                            "rest_body_mb": round(len(body) / 1e6, 1), "rest": rest})
        finally:
            server.shutdown()
            server.server_close()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, nargs="+", default=[20000, 50000, 200000])
    parser.add_argument("--rss-cap-gb", type=float, default=8.0,
                        help="kill a run whose RSS passes this many GiB [8]")
    parser.add_argument("--model-dir", help="recognition model dir (default: the shipped one)")
    parser.add_argument("--serving", action="store_true",
                        help="time the refusal of each line by an export and the REST server instead")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    hwsr = [sys.executable, "-m", "hwsr.cli.main", "recognize"]
    if args.model_dir:
        hwsr += ["--model-dir", args.model_dir]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [] if args.serving else args.points:
            path = Path(tmp) / f"walk_{n}.inkml"
            write_walk_inkml(path, n)
            result = {"points": n, "file_mb": round(path.stat().st_size / 1e6, 2),
                      **run_measured([*hwsr, str(path)], args.rss_cap_gb * GB)}
            results.append(result)
            if not args.json:
                state = f"KILLED at the {args.rss_cap_gb:g} GiB cap" if result["killed_at_cap"] else \
                    f"rc {result['rc']}"
                print(f"{n:>8} points ({result['file_mb']} MB): peak RSS {result['peak_rss_gb']:.2f} GiB, "
                      f"{result['seconds']:.1f} s, {state}: {result['message']}", flush=True)
    refusals = serving_refusals(args.points) if args.serving else []
    if args.json:
        print(json.dumps({"rss_cap_gb": args.rss_cap_gb, "runs": results, "serving": refusals}, indent=2))
    for r in [] if args.json else refusals:
        print(f"{r['points']:>8} points, export signature: {r['signature_s']:.3f} s, {r['signature']}")
        print(f"{r['points']:>8} points, REST ({r['rest_body_mb']} MB body): {r['rest_s']:.3f} s, "
              f"{r['rest']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
