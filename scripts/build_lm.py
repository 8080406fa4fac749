"""Builds the shipped character language model (``hwsr/pretrained/lm/lm.npz``).

    pip install --no-deps -r requirements-build.txt     # wordfreq and its needs (build time only)
    python scripts/build_lm.py --data ../shared/data/iam_ondb_lines [--out hwsr/pretrained/lm/lm.npz]

Trained on text we may use, and nothing else:

- the transcriptions of the *training* split of ``--data``, split by form exactly as
  ``hwsr-train`` splits it (`hwsr.pipeline.splits.split_by_form`, fraction 0.05, seed 0), so
  no validation-form text is seen;
- English word frequencies shipped in the ``wordfreq`` package (its ``large`` English list):
  the ``--words`` most frequent alphabetic words, each repeated in proportion to its frequency
  (``--word-tokens`` tokens in all, a share ``--capitalised`` of them capitalised), shuffled
  and packed into pseudo-lines of 8 words.

``--dev-fraction`` holds out that share of the *training* forms (another seed), prints the
per-character perplexity on them and stops, for comparing settings; the shipped model is built
without it. The lexicon stored with the model is every word of the training transcriptions
plus the wordfreq words.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "hwsr/pretrained/lm/lm.npz"
WORD = re.compile(r"^[a-z]+(?:'[a-z]+)?$")
WORDS_PER_PSEUDO_LINE = 8


def training_texts(data: str, fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Transcriptions and line ids of the training split (the lines hwsr-train trains on)."""
    from hwsr.pipeline.sources import load_corpus
    from hwsr.pipeline.splits import split_by_form

    corpus = load_corpus(data)
    train = split_by_form(corpus.line_ids, fraction, seed)["train"]
    return [corpus.texts[i] for i in train], [corpus.line_ids[i] for i in train]


def wordfreq_lines(words: int, tokens: int, capitalised: float, seed: int) -> tuple[list[str], list[str]]:
    """Pseudo-lines of frequent English words, and the word list."""
    import wordfreq

    freqs = [(w, f) for w, f in wordfreq.get_frequency_dict("en", wordlist="large").items() if WORD.match(w)]
    freqs = freqs[:words]
    total = sum(f for _, f in freqs)
    rng = np.random.default_rng(seed)
    stream = []
    for w, f in freqs:
        n = max(1, round(tokens * f / total))
        caps = rng.random(n) < capitalised
        stream += [w.capitalize() if c else w for c in caps]
    order = rng.permutation(len(stream))
    stream = [stream[i] for i in order]
    step = WORDS_PER_PSEUDO_LINE
    lines = [" ".join(stream[i : i + step]) for i in range(0, len(stream), step)]
    return lines, [w for w, _ in freqs]


def build(texts, word_lines, order, min_count, lexicon, meta):
    from hwsr.alphabet import IAM_ONDB_CHARACTERS
    from hwsr.language_model import CharNgramLM

    min_counts = {k: min_count for k in range(3, order + 1)} if min_count > 1 else None
    return CharNgramLM.estimate(texts + word_lines, IAM_ONDB_CHARACTERS, order=order,
                                min_counts=min_counts, lexicon=lexicon, meta=meta)


def perplexity(lm, texts) -> float:
    total = sum(lm.score_text(t) for t in texts)
    return math.exp(-total / sum(len(t) + 1 for t in texts))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="the IAM-OnDB lines folder (npz + sentences.txt)")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    p.add_argument("--order", type=int, default=7)
    p.add_argument("--min-count", type=int, default=2, help="drop n-grams of order >= 3 seen fewer times")
    p.add_argument("--words", type=int, default=60000, help="wordfreq words used (0: none)")
    p.add_argument("--word-tokens", type=int, default=300000, help="word tokens drawn from them")
    p.add_argument("--capitalised", type=float, default=0.1)
    p.add_argument("--dev-fraction", type=float, default=0.0,
                   help="hold out this share of the training forms and print the perplexity on them")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    from hwsr.pipeline.splits import split_by_form

    start = time.perf_counter()
    texts, ids = training_texts(args.data, 0.05, 0)
    dev = []
    if args.dev_fraction:
        parts = split_by_form(ids, args.dev_fraction, seed=1)
        dev = [texts[i] for i in parts["validation"]]
        texts = [texts[i] for i in parts["train"]]
    word_lines, words = wordfreq_lines(args.words, args.word_tokens, args.capitalised, args.seed) \
        if args.words else ([], [])
    from hwsr.decoding import lexicon_word

    lexicon = sorted({w for t in texts for w in map(lexicon_word, t.split()) if w} | set(words))
    meta = {
        "trained_on": "transcriptions of the IAM-OnDB training split (split_by_form, fraction 0.05, "
                      f"seed 0: {len(texts)} lines, no validation form) and the {len(words)} most "
                      f"frequent alphabetic English words of wordfreq's 'large' list "
                      f"({args.word_tokens} tokens in {len(word_lines)} pseudo-lines)",
        "order": args.order, "min_count": args.min_count, "lexicon_words": len(lexicon),
    }
    lm = build(texts, word_lines, args.order, args.min_count, lexicon, meta)
    print(f"{lm}; built in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    if dev:
        print(f"dev perplexity {perplexity(lm, dev):.3f} per character on {len(dev)} held-out training "
              f"lines (order {args.order}, min count {args.min_count}, {args.words} words, "
              f"{args.word_tokens} tokens)")
        return 0
    lm.save(args.out, dtype=np.float16)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
