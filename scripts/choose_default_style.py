"""Chooses a synthesis model's default style: the bundled style whose lines read back best.

    python scripts/choose_default_style.py hwsr/pretrained/synthesis \
        --data ../shared/data/iam_ondb_lines [--texts 160] [--seeds 10,11] [--write]

An unprimed sampler draws a new hand for every seed, and some hands read badly; priming
with a neat bundled style (Graves 2013, section 5.5) keeps every line in one legible hand.
This script writes ``--texts`` transcriptions of the *training* split (so the choice never
sees the built-in legibility sets it is later judged on) in every bundled style and with no
style, at the default bias and each of ``--seeds``, reads them back with the pinned
legibility scorer (greedy) and prints CER / WER / worst line per style. With ``--write``,
the style with the lowest mean CER is recorded, with the table, in the model dir's
``styles/default.json`` (`hwsr.Synthesizer.default_style`), unless no style beats writing
with none.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", help="synthesis model dir with bundled styles")
    p.add_argument("--data", default="../shared/data/iam_ondb_lines", help="the training corpus")
    p.add_argument("--texts", type=int, default=160, help="training-split texts to write")
    p.add_argument("--seeds", default="10,11", help="comma-separated sampling seeds")
    p.add_argument("--sample-seed", type=int, default=2026, help="seed of the choice of texts")
    p.add_argument("--write", action="store_true", help="write styles/default.json")
    args = p.parse_args(argv)

    from hwsr import Recognizer, Synthesizer
    from hwsr.defaults import DEFAULT_BIAS, FREE_HAND
    from hwsr.evaluation import SCORING_RECOGNIZER_DIR, evaluate_legibility
    from hwsr.io_utils import atomic_write_text
    from hwsr.pipeline.configs import DataConfig
    from hwsr.pipeline.sources import load_corpus
    from hwsr.synthesizer import DEFAULT_STYLE_FILE

    synth = Synthesizer.from_dir(args.model_dir)
    if not synth.styles():
        print(f"error: {args.model_dir} has no bundled styles", file=sys.stderr)
        return 2
    reader = Recognizer.from_dir(SCORING_RECOGNIZER_DIR)
    corpus = load_corpus(args.data)
    split = DataConfig().split(corpus.line_ids)  # The split hwsr-train uses by default.
    pool = [corpus.texts[i] for i in split["train"] if 20 <= len(corpus.texts[i]) <= 60]
    chosen = random.Random(args.sample_seed).sample(pool, args.texts)
    texts = [synth.alphabet.clean(t, "drop") for t in chosen]
    seeds = [int(s) for s in args.seeds.split(",")]

    table = {}
    for style in [FREE_HAND, *synth.styles()]:
        rows = []
        for seed in seeds:
            (scores,) = evaluate_legibility(synth, reader, texts, [DEFAULT_BIAS], seed, style=style)
            rows.append({k: round(scores[k], 4) for k in ("cer", "wer", "max_line_cer")})
        table[str(style)] = rows
        print(f"{style!s:>5}: " + "  ".join(
            f"CER {100 * r['cer']:5.2f}% WER {100 * r['wer']:5.1f}% worst {100 * r['max_line_cer']:3.0f}%"
            for r in rows), flush=True)

    def mean_cer(key):
        return sum(r["cer"] for r in table[key]) / len(seeds)

    best = min((str(s) for s in synth.styles()), key=mean_cer)
    print(f"lowest mean CER: style {best} ({100 * mean_cer(best):.2f}%; free hand "
          f"{100 * mean_cer(FREE_HAND):.2f}%)")
    if args.write:
        if mean_cer(best) >= mean_cer(FREE_HAND):
            print("no style reads better than the free hand: nothing written", file=sys.stderr)
            return 0
        record = {"style": int(best), "bias": DEFAULT_BIAS, "seeds": seeds,
                  "texts": f"{args.texts} training-split transcriptions (sample seed {args.sample_seed})",
                  "scorer": str(SCORING_RECOGNIZER_DIR.name), "results": table}
        atomic_write_text(Path(args.model_dir) / "styles" / DEFAULT_STYLE_FILE,
                          json.dumps(record, indent=1) + "\n")
        print(f"wrote {Path(args.model_dir) / 'styles' / DEFAULT_STYLE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
