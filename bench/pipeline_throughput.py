"""Input-pipeline throughput: in-memory arrays vs prepared TFRecords, on the full line set.

    python bench/pipeline_throughput.py                      # ../shared/data/iam_ondb_lines
    python bench/pipeline_throughput.py --prepared DIR       # reuse an 'hwsr data prepare' dir
    python bench/pipeline_throughput.py --batches 300 --task synthesis

Both paths end in the same padded, length-bucketed batches (`hwsr.pipeline.datasets`);
the script prints batches/s, real timesteps/s (pen points that are not padding) and padded
timesteps/s, measured after a warm-up (the shuffle buffer filling). Only the pipeline is
timed: no model runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

from hwsr.alphabet import Alphabet
from hwsr.pipeline import datasets, tfrecords
from hwsr.pipeline.configs import DataConfig
from hwsr.pipeline.prepare import PrepareOptions, prepare
from hwsr.pipeline.sources import load_corpus

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "iam_ondb_lines"


def measure(batches: tf.data.Dataset, num_batches: int, warmup: int) -> dict:
    """Iterates ``warmup`` then ``num_batches`` batches; returns rates over the timed part."""
    it = iter(batches)
    t0 = time.perf_counter()
    for _ in range(warmup):
        next(it)
    t1 = time.perf_counter()
    real = padded = 0
    for _ in range(num_batches):
        x, y = next(it)
        padded += int(x["strokes"].shape[0]) * int(x["strokes"].shape[1])
        # Recognition batches carry the lengths; synthesis batches the mask of real targets.
        real += int(tf.reduce_sum(x["lengths"])) if "lengths" in x else int(tf.reduce_sum(y["mask"]))
    seconds = time.perf_counter() - t1
    return {
        "warmup_s": round(t1 - t0, 2),
        "timed_s": round(seconds, 2),
        "batches_per_s": round(num_batches / seconds, 1),
        "timesteps_per_s": round(real / seconds),
        "padded_timesteps_per_s": round(padded / seconds),
        "padding_fraction": round(1 - real / padded, 3),
    }


def batching(args) -> datasets.BatchingConfig:
    # Raw (not downsampled) lines: the recogniser's boundaries, i.e. the data config's times the
    # downsampling factor, so even the longest raw line fits the last bucket.
    data = DataConfig()
    return datasets.BatchingConfig(
        batch_size=args.batch_size,
        bucket_boundaries=tuple(b * data.downsample for b in data.bucket_boundaries),
        pad_to_bucket_boundary=True,
        shuffle_buffer=data.shuffle_buffer,
        seed=0,
        repeat=True,
        drop_remainder=True,
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DEFAULT_DATA),
                   help="raw data folder [../shared/data/iam_ondb_lines]")
    p.add_argument("--prepared", help="a prepared dir of the same data (default: prepare one in a temp dir)")
    p.add_argument("--task", choices=("recognition", "synthesis"), default="recognition")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--batches", type=int, default=200, help="timed batches per path [200]")
    p.add_argument("--warmup", type=int, default=20, help="untimed batches first [20]")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if not Path(args.data).exists():
        print(f"error: {args.data} not found (pass --data)", file=sys.stderr)
        return 2
    to_batches = datasets.recognition_batches if args.task == "recognition" else datasets.synthesis_batches
    config = batching(args)
    alphabet = Alphabet.iam_ondb()
    results = {"task": args.task, "batch_size": args.batch_size, "cpus": os.cpu_count()}

    t0 = time.perf_counter()
    corpus = load_corpus(args.data)
    codes = [alphabet.encode(t, source=i) for t, i in zip(corpus.texts, corpus.line_ids)]
    memory = datasets.from_arrays(corpus.strokes, codes)
    results["in_memory_setup_s"] = round(time.perf_counter() - t0, 2)
    results["in_memory"] = measure(to_batches(memory, config), args.batches, args.warmup)

    with tempfile.TemporaryDirectory(prefix="hwsr-bench-") as tmp:
        prepared = args.prepared
        if prepared is None:
            prepared = os.path.join(tmp, "prepared")
            t0 = time.perf_counter()
            prepare(corpus, prepared, source=args.data, options=PrepareOptions(alphabet=alphabet))
            results["prepare_s"] = round(time.perf_counter() - t0, 2)
        records = tfrecords.prepared_dataset(prepared, "train").concatenate(
            tfrecords.prepared_dataset(prepared, "validation"))
        results["tfrecords"] = measure(to_batches(records, config), args.batches, args.warmup)

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{args.task} batches of {args.batch_size}, {results['cpus']} CPUs, {len(corpus)} lines "
          f"(in-memory setup {results['in_memory_setup_s']} s"
          + (f", prepare {results['prepare_s']} s)" if "prepare_s" in results else ")"))
    for name in ("in_memory", "tfrecords"):
        r = results[name]
        print(f"  {name:<10} {r['batches_per_s']:>8} batches/s  {r['timesteps_per_s']:>10} timesteps/s  "
              f"({r['padded_timesteps_per_s']} padded, {100 * r['padding_fraction']:.1f}% padding; "
              f"warm-up {r['warmup_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
