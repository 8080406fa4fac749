"""Recognition speed: latency of one line and lines/s at batch 16, for greedy decoding, beam
search without language model, and beam search with the language model (the default).

    python bench/recognition_latency.py [--model-dir DIR] [--data DIR] [--points 620]
                                        [--beam-width 16] [--lm FILE] [--repeats 10] [--json]

Lines are real ones from ``--data`` (a folder in the npz + sentences.txt layout, e.g.
``../shared/data/iam_ondb_lines``) or, without it, programmatic ink of ``--points`` points
(620 is the median IAM-OnDB line). Times are medians after a warm-up call (which traces the
graph). The language model is the shipped recogniser's (``--lm`` for another); its decoding
alone is also timed on the model's outputs (wall clock and CPU time). Prints the load average
with the figures (the machine is shared); never passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

BATCH = 16


def programmatic_lines(count: int, points: int, seed: int = 0) -> list[np.ndarray]:
    """Loopy cursive-like ink: a pen lift every ~40 points, raw IAM-like offsets (~15 units)."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(count):
        t = np.arange(points)
        dx = 6.0 + 14.0 * np.cos(t * 0.35 + rng.uniform(0, 6)) + rng.normal(0, 2, points)
        dy = 18.0 * np.sin(t * 0.35 + rng.uniform(0, 6)) + rng.normal(0, 2, points)
        eos = (rng.random(points) < 1 / 40).astype(np.float32)
        eos[-1] = 1.0
        line = np.stack([eos, dx, dy], axis=1).astype(np.float32)
        line[0, 1:] = 0.0
        lines.append(line)
    return lines


def median_seconds(fn, repeats: int) -> float:
    fn()  # Warm-up: traces the graph for this shape signature.
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", help="recognition model dir (default: the shipped model)")
    p.add_argument("--data", help="take real lines from this data folder")
    p.add_argument("--points", type=int, default=620, help="points per programmatic line")
    p.add_argument("--beam-width", type=int, default=16)
    p.add_argument("--lm", help="language-model file (default: the recogniser's, the shipped one)")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    from hwsr.recognizer import Recognizer

    rec = Recognizer.from_dir(args.model_dir) if args.model_dir else Recognizer.from_pretrained()
    from hwsr.language_model import CharNgramLM

    lm = CharNgramLM.load(args.lm) if args.lm else rec.lm
    if lm is None:
        p.error("no language model: pass --lm FILE (scripts/build_lm.py writes one)")
    if args.data:
        from hwsr.pipeline.sources import load_corpus

        corpus = load_corpus(args.data)
        lines = corpus.strokes[:BATCH]
        source = f"{len(lines)} lines of {args.data} (mean {np.mean([len(s) for s in lines]):.0f} points)"
    else:
        lines = programmatic_lines(BATCH, args.points)
        source = f"programmatic lines of {args.points} points"
    one = lines[0]
    modes = {
        "greedy": {"method": "greedy", "lm": None},
        "beam": {"method": "beam", "beam_width": args.beam_width, "lm": None, "candidates": 1},
        "beam_lm": {"method": "beam", "beam_width": args.beam_width, "lm": lm},
    }
    result = {"model": str(rec.bundle.path), "input": source, "one_line_points": len(one),
              "beam_width": args.beam_width, "batch": len(lines),
              "language_model": lm.path}
    for name, options in modes.items():
        result[f"{name}_ms"] = 1000 * median_seconds(lambda o=options: rec.recognize(one, **o), args.repeats)
    for name, options in modes.items():
        seconds = median_seconds(lambda o=options: rec.recognize(lines, batch_size=BATCH, **o),
                                 max(3, args.repeats // 3))
        result[f"batch_{name}_lines_per_s"] = len(lines) / seconds
    # The language-model beam search alone, on the model's outputs for the batch.
    from hwsr import decoding

    logits, logit_lengths = rec.logits([rec.prepare(s) for s in lines])
    scorer = decoding.LMScorer(lm, rec.alphabet, decoding.DEFAULT_LM_WEIGHT, decoding.DEFAULT_WORD_BONUS,
                               decoding.DEFAULT_OOV_PENALTY)

    def lm_decode():
        return decoding.decode(logits, logit_lengths, rec.alphabet, "beam", args.beam_width, scorer,
                               decoding.DEFAULT_CANDIDATES)

    seconds = median_seconds(lm_decode, max(3, args.repeats // 3))
    result["lm_decode_only_ms_per_line"] = 1000 * seconds / len(lines)
    cpu = time.process_time()  # CPU time: what a loaded machine's wall clock hides.
    lm_decode()
    result["lm_decode_only_cpu_ms_per_line"] = 1000 * (time.process_time() - cpu) / len(lines)
    result["load_average"] = [round(v, 2) for v in os.getloadavg()]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"model {result['model']}; {source}; language model {result['language_model']}")
    print(f"one line ({len(one)} points): greedy {result['greedy_ms']:.1f} ms, "
          f"beam {args.beam_width} {result['beam_ms']:.1f} ms, beam {args.beam_width} + LM "
          f"{result['beam_lm_ms']:.1f} ms")
    print(f"batch of {len(lines)}: greedy {result['batch_greedy_lines_per_s']:.1f} lines/s, "
          f"beam {args.beam_width} {result['batch_beam_lines_per_s']:.1f} lines/s, "
          f"beam {args.beam_width} + LM {result['batch_beam_lm_lines_per_s']:.1f} lines/s")
    print(f"LM beam search alone: {result['lm_decode_only_ms_per_line']:.1f} ms per line "
          f"({result['lm_decode_only_cpu_ms_per_line']:.1f} ms of CPU); "
          f"load average {result['load_average']}")


if __name__ == "__main__":
    main()
