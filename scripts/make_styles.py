"""Makes the bundled priming styles from lines our own synthesis model writes.

    python scripts/make_styles.py hwsr/pretrained/synthesis [--count 8] [--candidates 24]

IAM-OnDB's terms do not allow redistributing its lines, so the styles we ship are drawn by our
model: unprimed samples from fixed seeds (each seed is a different "writer"), scored by the
shipped recogniser (lowest CER first) and written as ``styles/style-N.npz`` (``strokes`` at the
model's point density, ``text``) plus a contact sheet ``styles/styles.png`` to look at.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TEXTS = [
    "a quiet morning by the river",
    "Send the letters before noon.",
    "Twelve people came to dinner",
    "She wrote it down at once.",
]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir")
    p.add_argument("--count", type=int, default=8)
    p.add_argument("--candidates", type=int, default=24)
    p.add_argument("--bias", type=float, default=0.8)
    args = p.parse_args()
    from hwsr import render
    from hwsr.io_utils import atomic_write_bytes
    from hwsr.metrics import character_error_rate
    from hwsr.recognizer import Recognizer
    from hwsr.synthesizer import Synthesizer

    synth = Synthesizer.from_dir(args.model_dir)
    reader = Recognizer.from_pretrained()
    scored = []
    for seed in range(args.candidates):
        text = TEXTS[seed % len(TEXTS)]
        line = synth.generate([text], bias=args.bias, seed=1000 + seed, dense=False)[0]
        read = reader.recognize([synth_dense(line, synth.downsample)], method="greedy")[0].text
        scored.append((character_error_rate([text], [read]), seed, text, line))
    scored.sort(key=lambda s: (s[0], s[1]))
    out = Path(args.model_dir) / "styles"
    out.mkdir(exist_ok=True)
    for old in out.glob("style-*.npz"):
        old.unlink()
    chosen = scored[: args.count]
    for i, (cer, seed, text, line) in enumerate(chosen):
        import io

        buf = io.BytesIO()
        np.savez(buf, strokes=line.astype(np.float32), text=np.array(text), seed=np.array(1000 + seed),
                 recognizer_cer=np.array(cer))
        atomic_write_bytes(out / f"style-{i}.npz", buf.getvalue())
        print(f"style-{i}: seed {1000 + seed}, CER {100 * cer:.0f} %, {text!r}")
    render.save([c[3] for c in chosen], out / "styles.png", height=40)
    return 0


def synth_dense(line, factor):
    from hwsr.strokes import interpolate_points

    return interpolate_points(line, factor)


if __name__ == "__main__":
    sys.exit(main())
