"""Legibility of synthesis with and without recogniser-checked candidates, and its cost.

    python bench/legibility.py [--synthesis DIR] [--recognition DIR] [--candidates 4] [--json]

On the built-in ``unseen`` set (111 sentences not in the training data) at the default bias:
CER, WER and the worst line's CER, written once per line and with ``--candidates N``;
the same on the ``hard`` set (digits, capitals, punctuation); per-class figures; how many
lines needed a second round; and the generation speed (lines/s) at batch 16, plain and
with candidates. Scoring uses the pinned shipped recogniser unless ``--recognition`` names
another (the output says which, by the SHA-256 of its weights), greedy decoding.

Prints figures; never passes or fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def speed(synth, recognizer, texts, candidates: int, repeats: int) -> float:
    """Best lines/s of writing ``texts`` in one call (after one untimed warm-up call)."""
    synth.generate(texts, seed=99, candidates=candidates, recognizer=recognizer)
    best = float("inf")
    for r in range(repeats):
        start = time.perf_counter()
        synth.generate(texts, seed=r, candidates=candidates, recognizer=recognizer)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def measure(synth, recognizer, bias: float, candidates: int, seed: int, sets, speed_batch: int,
            repeats: int) -> dict:
    from hwsr.evaluation import evaluate_legibility, legibility_texts, scoring_recognizer

    out = {"synthesis": str(synth.bundle.path), "scoring_recognizer": scoring_recognizer(recognizer),
           "decoding": "greedy", "bias": bias, "seed": seed, "candidates": candidates,
           "style": synth.default_style, "sets": {}}
    for name in sets:
        texts = legibility_texts(name)
        runs = {}
        for n in (0, candidates):
            start = time.perf_counter()
            (row,) = evaluate_legibility(synth, recognizer, texts, [bias], seed, candidates=n)
            row["seconds"] = round(time.perf_counter() - start, 1)
            runs[f"candidates_{n}"] = row
            print(f"{name}, candidates {n}: CER {100 * row['cer']:.2f}% ({row['seconds']} s)",
                  file=sys.stderr)
        out["sets"][name] = {"texts": len(texts), **runs}
    if speed_batch:
        texts = legibility_texts("unseen")[:speed_batch]
        plain = speed(synth, recognizer, texts, 0, repeats)
        checked = speed(synth, recognizer, texts, candidates, repeats)
        out["speed"] = {"batch": speed_batch, "lines_per_s": plain, "lines_per_s_candidates": checked,
                        "cost_ratio": plain / checked}
    return out


def format_figures(result: dict) -> str:
    scorer = result["scoring_recognizer"]
    lines = [f"synthesis {result['synthesis']}, bias {result['bias']:g}, seed {result['seed']}",
             f"scored by {scorer['path']} (weights {scorer['sha256'][:12]}, "
             f"{'pinned' if scorer['pinned'] else 'NOT the pinned recogniser'}), greedy decoding"]
    for name, runs in result["sets"].items():
        for key, row in runs.items():
            if key == "texts":
                continue
            n = key.split("_")[1]
            second = (f", {row['second_round_lines']} of {runs['texts']} lines needed a second round, "
                      f"{row['failed_lines']} still failed, {row['candidates_read']} candidates read back"
                      if "second_round_lines" in row else "")
            lines.append(f"{name:>6} ({runs['texts']} lines), candidates {n}: CER {100 * row['cer']:5.2f}%  "
                         f"WER {100 * row['wer']:5.2f}%  worst line CER {100 * row['max_line_cer']:5.1f}%"
                         f"{second} ({row['seconds']} s)")
            lines.append("        " + "  ".join(
                f"{kind} {100 * c['cer']:.1f}/{100 * c['wer']:.1f}%" for kind, c in row["classes"].items())
                + "  (CER/WER per class)")
    if "speed" in result:
        s = result["speed"]
        lines.append(f"speed at batch {s['batch']}: {s['lines_per_s']:.2f} lines/s plain, "
                     f"{s['lines_per_s_candidates']:.2f} lines/s with {result['candidates']} candidates "
                     f"({s['cost_ratio']:.2f}x the time)")
    return "\n".join(lines)


def main(argv=None) -> int:
    from hwsr.defaults import DEFAULT_BIAS
    from hwsr.evaluation import LEGIBILITY_SETS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--synthesis", help="synthesis model dir [shipped]")
    p.add_argument("--recognition", help="scoring recogniser model dir [shipped, pinned]")
    p.add_argument("--bias", type=float, default=DEFAULT_BIAS)
    p.add_argument("--candidates", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sets", default=",".join(LEGIBILITY_SETS), help="comma-separated legibility sets")
    p.add_argument("--speed-batch", type=int, default=16, help="lines per timed call (0: no timing)")
    p.add_argument("--repeats", type=int, default=1, help="timed calls per mode (best kept)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    from hwsr.recognizer import Recognizer
    from hwsr.synthesizer import Synthesizer

    synth = Synthesizer.from_dir(args.synthesis) if args.synthesis else Synthesizer.from_pretrained()
    from hwsr.evaluation import SCORING_RECOGNIZER_DIR

    recognizer = Recognizer.from_dir(args.recognition or SCORING_RECOGNIZER_DIR)
    result = measure(synth, recognizer, args.bias, args.candidates, args.seed,
                     [s for s in args.sets.split(",") if s], args.speed_batch, args.repeats)
    print(json.dumps(result, indent=2) if args.json else format_figures(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
