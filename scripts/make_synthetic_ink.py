"""Writes synthetic training ink for the recogniser with the shipped synthesis model.

    python scripts/make_synthetic_ink.py --data ../shared/data/iam_ondb_lines \
        --out ~/.cache/hwsr-runs/synthetic-ink --lines 4000
    hwsr-train --task recognition ... --set data.synthetic_source=~/.cache/hwsr-runs/synthetic-ink \
        --set data.synthetic_fraction=0.25

Texts: half are transcriptions of the *training* forms (never validation forms), half are
made here and rich in capitals, digits and punctuation (dates, prices, codes, quotes...),
built from the training vocabulary. Styles: the bundled ones and priming with real
training lines, at random biases. Lines are written in batches (one `Synthesizer.generate`
call per batch, ``--batch`` lines) and read back with the shipped recogniser; a line whose reading is
too far from its text (CER above ``--max-cer``, e.g. a garbled or truncated line) is not
kept, so the labels stay right. The result is a prepared TFRecords dir (``hwsr data
prepare`` layout, every line in the train split) that ``data.synthetic_source`` takes.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

BATCH = 64
BIASES = (0.35, 0.6, 0.9, 1.3, 2.0)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def hard_text(rng: random.Random, words: list[str], capitalised: list[str]) -> str:
    """A line of about 25-50 characters rich in capitals, digits and punctuation."""

    def word():
        return rng.choice(words)

    def name():
        return rng.choice(capitalised)

    def number():
        return str(rng.choice([rng.randint(0, 9), rng.randint(10, 99), rng.randint(100, 999),
                               rng.randint(1000, 2099)]))

    def price():
        return f"{rng.randint(2, 999)}.{rng.randint(0, 99):02d}"

    def date():
        return f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1990, 2040)}"

    def clock():
        return f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d}"

    def phone():
        return f"({rng.randint(100, 999)}) {rng.randint(100, 999)}-{rng.randint(1000, 9999)}"

    def code():
        return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.randint(2, 4)))

    templates = [
        lambda: f"{name()} paid {price()} for {number()} {word()}s.",
        lambda: f"On {rng.choice(WEEKDAYS)}, {rng.randint(1, 28)} {rng.choice(MONTHS)} {number()}",
        lambda: f"Call {phone()} at {clock()}",
        lambda: f'"{word().capitalize()} {word()}," said {name()}; "{word()}!"',
        lambda: f"Room {number()}, Floor {rng.randint(1, 40)} - ask for {name()} {name()[0]}.",
        lambda: f"{name().upper()} & {name().upper()}: {number()} {word()}s, {number()}%?",
        lambda: f"Invoice #{rng.randint(100, 99999)}: due {date()}.",
        lambda: f"{word().capitalize()} {word()} (see p. {number()}) and {name()}'s {word()}.",
        lambda: f"Q{rng.randint(1, 4)} {number()}: {number()} {word()}s, {number()} {word()}s.",
        lambda: f"{code()} {rng.randint(10, 999)}, {name()} {word()}! {number()}-{number()}",
    ]
    return rng.choice(templates)()


def training_texts(corpus, split) -> list[tuple[str, np.ndarray]]:
    return [(corpus.texts[i], corpus.strokes[i]) for i in split["train"] if corpus.texts[i].strip()]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/iam_ondb_lines", help="the training corpus")
    p.add_argument("--out", required=True, help="prepared TFRecords dir to write")
    p.add_argument("--lines", type=int, default=4000, help="lines to write (before filtering)")
    p.add_argument("--hard-share", type=float, default=0.5,
                   help="share of made-up texts rich in capitals, digits and punctuation")
    p.add_argument("--primed-share", type=float, default=0.5,
                   help="share of batches primed with a real training line (others: bundled styles)")
    p.add_argument("--max-cer", type=float, default=0.35,
                   help="keep a line only if the shipped recogniser reads it within this CER")
    p.add_argument("--batch", type=int, default=BATCH, help="lines per generate call")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true")
    args = p.parse_args(argv)

    from hwsr import Recognizer, Synthesizer
    from hwsr.alphabet import Alphabet
    from hwsr.metrics import character_error_rate
    from hwsr.pipeline.configs import DataConfig
    from hwsr.pipeline.corpus import LineCorpus
    from hwsr.pipeline.prepare import PrepareOptions, prepare
    from hwsr.pipeline.sources import load_corpus

    rng = random.Random(args.seed)
    corpus = load_corpus(args.data)
    split = DataConfig().split(corpus.line_ids)  # The split hwsr-train uses by default.
    real = training_texts(corpus, split)
    words = sorted({w.strip(".,;:!?\"'()") for t, _ in real for w in t.split()} - {""})
    lower = [w for w in words if w.isalpha() and w.islower() and len(w) > 2]
    capitalised = [w for w in words if w.isalpha() and w[0].isupper() and w[1:].islower() and len(w) > 2]
    synth, reader = Synthesizer.from_pretrained(), Recognizer.from_pretrained()

    lines, texts, ids = [], [], []
    tried, start = 0, time.perf_counter()
    for batch in range(math.ceil(args.lines / args.batch)):
        batch_texts = []
        for _ in range(args.batch):
            if rng.random() < args.hard_share:
                text = hard_text(rng, lower, capitalised)
            else:
                text = rng.choice(real)[0]
            text = synth.alphabet.clean(text, "drop")[:60].strip()
            batch_texts.append(text or "hello")
        if rng.random() < args.primed_share:
            prime_text, prime_strokes = rng.choice(real)
            style = (prime_strokes, prime_text)
        else:
            style = rng.choice(synth.styles())
        bias = rng.choice(BIASES)
        t0 = time.perf_counter()
        out = synth.generate(batch_texts, bias=bias, seed=args.seed * 100_003 + batch, style=style,
                             unknown="drop")
        t1 = time.perf_counter()
        read = [r.text for r in reader.recognize(out, method="greedy")]
        t2 = time.perf_counter()
        tried += len(out)
        for i, (strokes, text, got) in enumerate(zip(out, batch_texts, read)):
            if character_error_rate([text], [got]) <= args.max_cer:
                lines.append(strokes.astype(np.float32))
                texts.append(text)
                ids.append(f"syn{batch:05d}-{i:02d}")
        rate = tried / (time.perf_counter() - start)
        print(f"batch {batch + 1}: kept {len(lines)}/{tried} lines ({rate:.1f} lines/s; this batch: "
              f"writing {t1 - t0:.1f} s, reading {t2 - t1:.1f} s)", file=sys.stderr, flush=True)

    out_corpus = LineCorpus(lines, texts, ids)
    options = PrepareOptions(validation_fraction=0.0, alphabet=Alphabet.iam_ondb(), unknown="drop",
                             overwrite=args.overwrite)
    prepare(out_corpus, str(Path(args.out).expanduser()), source="hwsr synthetic ink", options=options)
    seconds = time.perf_counter() - start
    print(f"wrote {len(lines)} of {tried} lines to {args.out} in {seconds:.0f} s "
          f"({tried / seconds:.1f} lines/s written and read back)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
