"""``make demo``: write a sentence with the shipped synthesis model and read it back with the
shipped recogniser. Without shipped models, plot a real line from ../shared/data instead."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_TEXT = "Quick brown foxes jump over 12 lazy dogs!"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m hwsr.demo", description=__doc__)
    p.add_argument("--text", default=DEFAULT_TEXT)
    p.add_argument("--out", default="out", help="output folder [out]")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bias", type=float, default=1.0)
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from hwsr import render
    from hwsr.model_dir import ModelDirError
    from hwsr.synthesizer import Synthesizer

    try:
        synth = Synthesizer.from_pretrained()
    except ModelDirError as e:
        print(f"demo: {e}; plotting a real line instead", file=sys.stderr)
        return plot_real_line(out)
    t0 = time.perf_counter()
    lines = synth.write(args.text, bias=args.bias, seed=args.seed)
    took = time.perf_counter() - t0
    render.save(lines, out / "demo.svg")
    render.save(lines, out / "demo.png")
    print(f"wrote {out / 'demo.svg'} and {out / 'demo.png'} ({sum(map(len, lines))} points, {took:.1f} s)")
    print(f"text:       {args.text}")
    try:
        from hwsr.recognizer import Recognizer

        reader = Recognizer.from_pretrained()
    except (ImportError, ModelDirError) as e:
        print(f"demo: no recogniser ({e})", file=sys.stderr)
        return 0
    results = reader.recognize(lines)
    read = " ".join(r.text for r in results)
    from hwsr.metrics import character_error_rate

    print(f"read back:  {read}")
    print(f"CER:        {100 * character_error_rate([args.text], [read]):.1f} %")
    return 0


def plot_real_line(out: Path) -> int:
    shared = Path(os.environ.get("HWSR_SHARED_DATA", Path.cwd().parent / "shared" / "data"))
    folder = shared / "iam_ondb_lines"
    if not folder.exists():
        print(f"demo: no shipped model and no data at {folder}", file=sys.stderr)
        return 1
    from hwsr import render
    from hwsr.pipeline.readers.npz_lines import read_npz_lines

    corpus = read_npz_lines(folder)
    render.save(corpus.strokes[0], out / "real_line.svg")
    render.save(corpus.strokes[0], out / "real_line.png")
    print(f"{corpus.line_ids[0]}: {corpus.texts[0]!r} -> {out / 'real_line.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
