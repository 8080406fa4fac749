"""Measures the ink reference of a recogniser's training data (`hwsr.strokes.device`).

    python scripts/measure_ink_reference.py --data ../shared/data/iam_ondb_lines \
        --model-dir hwsr/pretrained/recognition

Reads the *training* split (the forms `hwsr-train` trains on, never the validation forms),
takes the median size and point spacing of its lines and writes them to
``<model-dir>/ink_reference.json`` (atomically), which `hwsr.Recognizer` then adapts other
devices' ink to.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="../shared/data/iam_ondb_lines", help="the training corpus")
    p.add_argument("--model-dir", required=True, help="recognition model dir to write the reference to")
    p.add_argument("--factor", type=float, default=1.6,
                   help="how far from the median size a line is rescaled")
    p.add_argument("--split-factor", type=float, default=1.3,
                   help="how far above the median spacing a line's steps are split")
    args = p.parse_args(argv)

    from hwsr.pipeline.configs import DataConfig
    from hwsr.pipeline.sources import load_corpus
    from hwsr.strokes.device import REFERENCE_FILE, InkReference

    corpus = load_corpus(args.data)
    train = DataConfig().split(corpus.line_ids)["train"]  # The split hwsr-train uses by default.
    reference = InkReference.measure((np.asarray(corpus.strokes[i], np.float32) for i in train),
                                     factor=args.factor, split_factor=args.split_factor)
    out = Path(args.model_dir) / REFERENCE_FILE
    reference.save(out)
    print(f"{out}: {reference}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
