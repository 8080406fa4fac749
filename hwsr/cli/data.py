"""``hwsr data``: prepare TFRecords from a data source, print its statistics, plot one line.

    hwsr data prepare ../shared/data/iam_ondb_lines --out data/prepared
    hwsr data stats data/prepared --json
    hwsr data show ../shared/data/iam_ondb_lines --index 3 --out line.png
"""

from __future__ import annotations

import collections
import io
import json
import sys
from pathlib import Path

import numpy as np

from hwsr.console import CLIError

PICKLE_HELP = "allow the legacy strokes.npy layout, which needs pickle (it can run code: trusted files only)"
ALPHABET_CHOICES = "iam_ondb (the 81 IAM-OnDB characters), data (the characters of the source) or a JSON file"


def add_parser(subparsers):
    p = subparsers.add_parser(
        "data",
        help="prepare TFRecords, print data statistics, plot a line",
        description="Work with handwriting data sources: a raw folder (npz + sentences.txt, and the "
        "other layouts hwsr reads) or a prepared TFRecords dir (local or s3://... with hwsr[io]).",
    )
    sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    prep = sub.add_parser(
        "prepare",
        help="write a source as sharded TFRecords + alphabet.json + stats.json + manifest.json",
        description="Read SOURCE, split its lines by form (seeded, deterministic), fit offset "
        "statistics on the train split and write raw strokes, codes, line ids and texts as sharded "
        "TFRecords. The output appears atomically; manifest.json is written last.",
    )
    prep.add_argument("source", help="data folder or prepared dir")
    prep.add_argument("--allow-pickle", action="store_true", help=PICKLE_HELP)
    prep.add_argument("--out", "-o", required=True, help="output dir (local path or s3://bucket/prefix)")
    prep.add_argument("--validation-fraction", type=float, default=0.05, help="share of forms [0.05]")
    prep.add_argument("--split-seed", type=int, default=0, help="seed of the form split [0]")
    prep.add_argument("--examples-per-shard", type=int, default=1000, help="lines per TFRecord file [1000]")
    prep.add_argument("--alphabet", default="iam_ondb", help=f"{ALPHABET_CHOICES} [iam_ondb]")
    prep.add_argument("--unknown", choices=("error", "drop", "map"), default="error",
                      help="characters outside the alphabet: fail, drop them, or map them to the "
                      "unknown code [error]")
    prep.add_argument("--overwrite", action="store_true", help="replace an existing output dir")
    prep.add_argument("--quiet", "-q", action="store_true",
                      help="no progress messages (also when $CI is set)")
    prep.set_defaults(func=run_prepare)

    stats = sub.add_parser(
        "stats",
        help="print counts, lengths, characters and offset statistics of a source",
        description="Statistics of a data folder or a prepared dir: lines, forms, points per line, "
        "pen strokes, text lengths, characters and dx/dy offsets.",
    )
    stats.add_argument("source", help="data folder or prepared dir")
    stats.add_argument("--allow-pickle", action="store_true", help=PICKLE_HELP)
    stats.add_argument("--json", action="store_true", help="print JSON instead of text")
    stats.set_defaults(func=run_stats)

    show = sub.add_parser(
        "show",
        help="plot one line of a source to an image",
        description="Plot the pen strokes of one line (with its transcription) to a PNG/SVG/PDF file.",
    )
    show.add_argument("source", help="data folder or prepared dir")
    show.add_argument("--allow-pickle", action="store_true", help=PICKLE_HELP)
    which = show.add_mutually_exclusive_group()
    which.add_argument("--index", type=int, default=0, help="line number in the source, from 0 [0]")
    which.add_argument("--line-id", help="the line with this id (e.g. a01-000u-01)")
    show.add_argument("--out", "-o", default="line.png", help="output image (.png, .svg, .pdf) [line.png]")
    show.set_defaults(func=run_show)


# Sources -------------------------------------------------------------------------------------


def load_source(source: str, allow_pickle: bool = False):
    """``(LineCorpus, manifest or None)`` of a prepared dir (local or URL) or any raw source."""
    from hwsr.pipeline import tfrecords
    from hwsr.pipeline.sources import load_corpus

    if tfrecords.is_prepared_dir(source):
        return tfrecords.read_prepared_corpus(source), tfrecords.read_manifest(source)
    return load_corpus(source, allow_pickle=allow_pickle), None


def _alphabet(spec: str, unknown: str):
    from hwsr.alphabet import Alphabet

    if spec == "iam_ondb":
        return Alphabet.iam_ondb(unknown=unknown)
    if spec == "data":
        return None
    if not spec.endswith(".json"):
        raise CLIError(f"--alphabet {spec!r}: expected {ALPHABET_CHOICES}")
    alphabet = Alphabet.load(spec)
    return Alphabet(alphabet.characters, unknown=unknown)


# prepare -------------------------------------------------------------------------------------


def run_prepare(args) -> int:
    from hwsr.console import stderr_progress
    from hwsr.pipeline.prepare import PrepareOptions, prepare
    from hwsr.pipeline.sources import has_url_scheme

    # Option errors first: reading a large source takes a while.
    options = PrepareOptions(
        validation_fraction=args.validation_fraction,
        split_seed=args.split_seed,
        examples_per_shard=args.examples_per_shard,
        alphabet=_alphabet(args.alphabet, args.unknown),
        unknown=args.unknown,
        overwrite=args.overwrite,
    )
    if not args.overwrite and not has_url_scheme(args.out) and Path(args.out).exists():
        raise CLIError(f"--out {args.out} already exists",
                       hint="pass --overwrite to replace it, or choose another --out")
    say = stderr_progress(args.quiet)
    if say:
        say(f"reading {args.source}")
    corpus, _ = load_source(args.source, args.allow_pickle)
    manifest = prepare(corpus, args.out, source=args.source, options=options, progress=say)
    splits = manifest["splits"]
    shards = sum(len(s["shards"]) for s in splits.values())
    print(f"wrote {args.out}: {manifest['num_examples']} lines (train {splits['train']['num_examples']}, "
          f"validation {splits['validation']['num_examples']}) in {shards} shards")
    return 0


# stats ---------------------------------------------------------------------------------------


def _summary(values) -> dict:
    values = np.asarray(values, dtype=np.float64)
    return {
        "min": float(values.min()),
        "mean": round(float(values.mean()), 3),
        "median": float(np.median(values)),
        "p95": float(np.percentile(values, 95)),
        "max": float(values.max()),
    }


def corpus_stats(corpus) -> dict:
    """Counts, lengths, characters and offset statistics of a `LineCorpus`."""
    from hwsr.alphabet import IAM_ONDB_CHARACTERS

    if len(corpus) == 0:
        raise CLIError("the source holds no lines")
    points = [len(s) for s in corpus.strokes]
    pen_strokes = [int(np.count_nonzero(s[:, 0] == 1)) for s in corpus.strokes]
    total, total_sq, count = np.zeros(2), np.zeros(2), 0
    low, high = np.full(2, np.inf), np.full(2, -np.inf)
    for s in corpus.strokes:
        rows = np.asarray(s[1:, 1:3], dtype=np.float64)  # Row 0 is the origin.
        if len(rows):
            total += rows.sum(0)
            total_sq += np.square(rows).sum(0)
            count += len(rows)
            low, high = np.minimum(low, rows.min(0)), np.maximum(high, rows.max(0))
    mean = total / max(count, 1)
    std = np.sqrt(np.maximum(total_sq / max(count, 1) - mean**2, 0.0))
    chars = collections.Counter("".join(corpus.texts))
    offsets = {
        axis: {"mean": round(float(mean[k]), 4), "std": round(float(std[k]), 4),
               "min": float(low[k]) if count else 0.0, "max": float(high[k]) if count else 0.0}
        for k, axis in enumerate(("dx", "dy"))
    }
    return {
        "lines": len(corpus),
        "forms": len(set(corpus.form_ids)),
        "points": int(sum(points)),
        "points_per_line": _summary(points),
        "pen_strokes_per_line": _summary(pen_strokes),
        "text_length": _summary([len(t) for t in corpus.texts]),
        "empty_texts": sum(1 for t in corpus.texts if not t),
        "distinct_characters": len(chars),
        "characters": dict(chars.most_common()),
        "characters_not_in_iam_ondb": sorted(c for c in chars if c not in IAM_ONDB_CHARACTERS),
        "offsets": offsets,
    }


def run_stats(args) -> int:
    corpus, manifest = load_source(args.source, args.allow_pickle)
    stats = {"source": args.source, **corpus_stats(corpus)}
    if manifest is not None:
        stats["prepared"] = {
            "source": manifest.get("source"),
            "split": manifest.get("split"),
            "splits": {name: {k: info.get(k) for k in ("num_examples", "num_points", "num_forms")}
                       | {"shards": len(info["shards"])} for name, info in manifest["splits"].items()},
        }
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        print(_format_stats(stats))
    return 0


def _format_stats(stats: dict) -> str:
    def row(name, summary):
        return (f"  {name:<22} min {summary['min']:g}  mean {summary['mean']:g}  median {summary['median']:g}"
                f"  p95 {summary['p95']:g}  max {summary['max']:g}")

    lines = [
        f"{stats['source']}",
        f"  lines                  {stats['lines']} ({stats['forms']} forms, {stats['points']} points)",
        row("points per line", stats["points_per_line"]),
        row("pen strokes per line", stats["pen_strokes_per_line"]),
        row("text length", stats["text_length"]),
        f"  empty texts            {stats['empty_texts']}",
    ]
    for axis, o in stats["offsets"].items():
        lines.append(f"  {axis:<22} mean {o['mean']:g}  std {o['std']:g}  min {o['min']:g}  max {o['max']:g}")
    top = "".join(f" {c!r}:{n}" for c, n in list(stats["characters"].items())[:20])
    lines.append(f"  characters             {stats['distinct_characters']} distinct; most frequent:{top}")
    if stats["characters_not_in_iam_ondb"]:
        lines.append(f"  not in IAM-OnDB        {''.join(stats['characters_not_in_iam_ondb'])!r}")
    prepared = stats.get("prepared")
    if prepared:
        split = prepared.get("split") or {}
        lines.append(f"  prepared from          {prepared.get('source')} (split by form, seed "
                     f"{split.get('seed')}, validation fraction {split.get('validation_fraction')})")
        for name, info in prepared["splits"].items():
            lines.append(f"  {name:<22} {info['num_examples']} lines, {info['num_forms']} forms, "
                         f"{info['num_points']} points, {info['shards']} shards")
    return "\n".join(lines)


# show ----------------------------------------------------------------------------------------


def run_show(args) -> int:
    if not args.out.lower().endswith((".png", ".svg", ".pdf")):
        raise CLIError(f"{args.out}: use a .png, .svg or .pdf file name")
    corpus, _ = load_source(args.source, args.allow_pickle)
    if args.line_id is not None:
        if args.line_id not in corpus.line_ids:
            raise CLIError(f"{args.source}: no line with id {args.line_id!r}")
        index = corpus.line_ids.index(args.line_id)
    else:
        index = args.index
        if not 0 <= index < len(corpus):
            raise CLIError(
                f"{args.source}: --index {index} out of range (the source has {len(corpus)} lines)"
            )
    _plot_line(corpus.strokes[index], f"{corpus.line_ids[index]}: {corpus.texts[index]}", args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _plot_line(strokes, title: str, path: str) -> None:
    """Draws the pen strokes (y up, equal aspect) with a title and saves the figure atomically."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from hwsr.io_utils import atomic_write_bytes
    from hwsr.strokes import bounding_box, to_stroke_list

    x0, y0, x1, y1 = bounding_box(strokes)
    width, height = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    fig_w = 12.0
    fig = Figure(figsize=(fig_w, min(max(fig_w * height / width, 1.5), 8.0) + 0.6))
    ax = fig.add_subplot()
    for stroke in to_stroke_list(strokes):
        style = "k-" if len(stroke) > 1 else "k."  # A lone point (a dot) shows as a dot.
        ax.plot(stroke[:, 0], stroke[:, 1], style, linewidth=1.2, markersize=2, solid_capstyle="round")
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10, loc="left")
    buf = io.BytesIO()
    fig.savefig(buf, format=path.rsplit(".", 1)[-1].lower(), dpi=100, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
