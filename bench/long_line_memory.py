"""Peak memory and time of ``hwsr recognize`` on one very long InkML line.

    python bench/long_line_memory.py [--points 20000 50000 200000] [--rss-cap-gb 8]
                                     [--model-dir DIR] [--json]

Each line is the random walk of issue #15 (``np.cumsum(normal(size=(N, 2)))``, seed 0, one
pen stroke), written as InkML to a temporary folder. ``hwsr recognize`` runs on it in a
subprocess whose resident memory (RSS, with its children) is sampled every 50 ms; a run
that passes ``--rss-cap-gb`` is killed there (so that a quadratic-memory build cannot take
the machine down) and reported as such. Prints figures; never passes or fails on them.
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, nargs="+", default=[20000, 50000, 200000])
    parser.add_argument("--rss-cap-gb", type=float, default=8.0,
                        help="kill a run whose RSS passes this many GiB [8]")
    parser.add_argument("--model-dir", help="recognition model dir (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    hwsr = [sys.executable, "-m", "hwsr.cli.main", "recognize"]
    if args.model_dir:
        hwsr += ["--model-dir", args.model_dir]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.points:
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
    if args.json:
        print(json.dumps({"rss_cap_gb": args.rss_cap_gb, "runs": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
