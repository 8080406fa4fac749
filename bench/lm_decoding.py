"""Greedy vs beam vs beam + language model on the validation split, and the LM weight search.

    python bench/lm_decoding.py --data ../shared/data/iam_ondb_lines [--model-dir DIR] [--lm FILE]
        [--weights 0.3,0.5,0.8] [--bonuses 0,1,2] [--oov 0,2] [--beam-widths 16] [--limit N] [--json]

The recogniser runs once over the validation lines (split by form as hwsr-train splits them:
fraction 0.05, seed 0); its logits are decoded greedily, by TensorFlow's beam search, and by
`hwsr.decoding.prefix_beam_search` with the language model for every combination of LM weight,
word bonus, out-of-lexicon penalty and beam width given. Prints CER/WER and decoding seconds per
row, best (lowest CER, then WER) last; the shipped defaults (`hwsr.defaults`) were chosen with
it. Validation text is only scored here, never trained on.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def validation_logits(rec, strokes, batch: int = 16):
    """``(logits [T, C] per line, in input order)``, batches of similar length."""
    order = np.argsort([len(s) for s in strokes], kind="stable")
    out = [None] * len(strokes)
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        logits, lengths = rec.logits([rec.prepare(strokes[i]) for i in idx])
        for j, i in enumerate(idx):
            out[i] = logits[j, : lengths[j]]
    return out


def decode_all(logits, fn) -> tuple[list[list[int]], float]:
    start = time.perf_counter()
    codes = [fn(x[np.newaxis], np.array([len(x)])) for x in logits]
    return codes, time.perf_counter() - start


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--model-dir")
    p.add_argument("--lm", help="language-model file (default: the shipped one)")
    p.add_argument("--weights", default="0.3,0.5,0.7")
    p.add_argument("--bonuses", default="0,0.5,1")
    p.add_argument("--oov", default="0,3")
    p.add_argument("--beam-widths", default="16")
    p.add_argument("--prune", type=float, default=-8.0, help="prune_log_prob of the beam search")
    p.add_argument("--limit", type=int, default=0, help="only the first N validation lines")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from hwsr.decoding import LMScorer, beam_search_decode, greedy_decode, prefix_beam_search
    from hwsr.evaluation import error_rates
    from hwsr.language_model import CharNgramLM, shipped_path
    from hwsr.pipeline.configs import DataConfig
    from hwsr.pipeline.sources import load_corpus
    from hwsr.recognizer import Recognizer

    corpus = load_corpus(args.data)
    corpus = corpus.subset(DataConfig().split(corpus.line_ids)["validation"])  # hwsr-train's split
    if args.limit:
        corpus = corpus.subset(range(min(args.limit, len(corpus))))
    rec = Recognizer.from_dir(args.model_dir) if args.model_dir else Recognizer.from_pretrained()
    lm = CharNgramLM.load(args.lm or shipped_path())
    start = time.perf_counter()
    logits = validation_logits(rec, corpus.strokes)
    texts = corpus.texts
    rows = [{"decoder": "model forward", "seconds": round(time.perf_counter() - start, 2)}]

    def row(name, codes, seconds, **extra):
        r = {"decoder": name, **extra, **error_rates(texts, [rec.alphabet.decode(c) for c in codes]),
             "seconds": round(seconds, 2)}
        rows.append(r)
        if not args.json:
            print(f"{name:<8} {json.dumps(extra):<70} CER {100 * r['cer']:5.2f}%  "
                  f"WER {100 * r['wer']:5.2f}%  ({r['seconds']:.1f} s)", flush=True)
        return r

    row("greedy", *decode_all(logits, lambda x, n: greedy_decode(x, n)[0]))
    widths = [int(w) for w in floats(args.beam_widths)]
    for w in widths:
        row("beam", *decode_all(logits, lambda x, n, w=w: beam_search_decode(x, n, beam_width=w)[0]),
            beam_width=w)
    lm_rows = []
    for w, weight, bonus, oov in itertools.product(widths, floats(args.weights), floats(args.bonuses),
                                                   floats(args.oov)):
        scorer = LMScorer(lm, rec.alphabet, weight=weight, word_bonus=bonus, oov_penalty=oov)

        def with_lm(x, n, w=w, scorer=scorer):
            best = prefix_beam_search(x, n, beam_width=w, scorer=scorer, prune_log_prob=args.prune)[0][0]
            return best.codes

        codes, seconds = decode_all(logits, with_lm)
        lm_rows.append(row("beam+lm", codes, seconds, beam_width=w, lm_weight=weight, word_bonus=bonus,
                           oov_penalty=oov))
    best = min(lm_rows, key=lambda r: (r["cer"], r["wer"]))
    result = {"lines": len(texts), "model": str(rec.bundle.path), "rows": rows, "best": best}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"best of {len(lm_rows)} on {len(texts)} lines: {json.dumps(best)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
