"""Word-likeness of the prediction network's free handwriting (Graves section 4, Fig. 11).

    python bench/prediction_words.py [--model-dir DIR ...] [--lines 64] [--steps 700] [--seeds 0,1]

Samples ``--lines`` lines of ``--steps`` points from each unconditional model (default: the
shipped ``prediction`` model), reads them with the pinned legibility scorer (greedy, no
language model) and scores the readings against the shipped language model's lexicon
(`hwsr.evaluation.word_likeness`): the share of tokens of 3+ letters that are English words,
and their mean length. Random letter strings seldom make words, so a network whose samples
look like words scores higher. Prints figures; never passes or fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def measure(model_dir, recognizer, lexicon, lines: int, steps: int, seeds, bias: float) -> dict:
    from hwsr.evaluation import word_likeness
    from hwsr.synthesizer import scribble

    readings = []
    for seed in seeds:
        strokes = scribble(model_dir, num_lines=lines, steps=steps, bias=bias, seed=seed)
        readings += [r.text for r in recognizer.recognize(strokes, method="greedy")]
    return {"model": str(model_dir or "shipped prediction"), "lines": len(readings), "bias": bias,
            **word_likeness(readings, lexicon), "examples": readings[:4]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", action="append", help="unconditional model dir (repeatable) [shipped]")
    p.add_argument("--lines", type=int, default=64)
    p.add_argument("--steps", type=int, default=700)
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--bias", type=float, default=0.5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from hwsr.evaluation import SCORING_RECOGNIZER_DIR
    from hwsr.language_model import CharNgramLM, shipped_path
    from hwsr.recognizer import Recognizer

    recognizer = Recognizer.from_dir(SCORING_RECOGNIZER_DIR)
    lexicon = CharNgramLM.load(shipped_path()).lexicon
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    rows = [measure(d, recognizer, lexicon, args.lines, args.steps, seeds, args.bias)
            for d in (args.model_dir or [None])]
    if args.json:
        print(json.dumps(rows, indent=2))
    for row in rows:
        print(f"{row['model']}: {100 * row['word_share']:.1f} % of {row['tokens']} tokens are words "
              f"(mean length {row['mean_token_length']:.1f}; {row['lines']} lines, bias {row['bias']:g})"
              f"  e.g. {row['examples'][:2]}", file=sys.stderr if args.json else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
