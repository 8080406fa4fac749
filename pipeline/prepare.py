"""``hwsr data prepare``: any data source -> a prepared dir of sharded TFRecords.

See `hwsr.pipeline.tfrecords` for the layout. The lines are split by form
(`hwsr.pipeline.splits.split_by_form`, seeded and deterministic), the `Normalizer` is
fitted on the train split, and the output appears atomically: a local dir is built in a
temporary sibling and renamed; a remote one (``s3://...``) is built in
``<out>.partial-<pid>/``, moved into place, and its ``manifest.json`` is written last, so
a reader never sees a dir with a manifest but missing files.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from hwsr import __version__
from hwsr.alphabet import Alphabet
from hwsr.io_utils import atomic_directory
from hwsr.pipeline import tfrecords
from hwsr.pipeline.corpus import LineCorpus
from hwsr.pipeline.splits import split_by_form
from hwsr.strokes import Normalizer, validate_strokes

ProgressFn = Callable[[str], None]


@dataclasses.dataclass
class PrepareOptions:
    """How ``hwsr data prepare`` splits, encodes and shards.

    Attributes:
        validation_fraction: share of forms in the validation split.
        split_seed: seed of the form hash (see `split_by_form`).
        examples_per_shard: lines per TFRecord file (the last shard of a split may be shorter).
        alphabet: the alphabet to encode the texts with; None fits one to the characters
            of the data.
        unknown: what to do with characters outside ``alphabet`` (``error|drop|map``).
        overwrite: replace an existing output dir.
    """

    validation_fraction: float = 0.05
    split_seed: int = 0
    examples_per_shard: int = 1000
    alphabet: Alphabet | None = None
    unknown: str = "error"
    overwrite: bool = False


def fit_alphabet(texts: list[str]) -> Alphabet:
    """An alphabet of the characters in ``texts``, sorted by code point."""
    chars = sorted(set("".join(texts)))
    if not chars:
        raise ValueError("cannot fit an alphabet: the texts hold no characters")
    return Alphabet(chars)


def prepare(
    corpus: LineCorpus,
    out: str,
    source: str,
    options: PrepareOptions | None = None,
    progress: ProgressFn | None = None,
) -> dict:
    """Writes ``corpus`` as a prepared dir at ``out`` and returns its manifest.

    Args:
        corpus: the lines (raw ``[eos, dx, dy]`` strokes, texts, line ids).
        out: the output dir, local or a URL (``s3://bucket/prefix``).
        source: where the corpus came from (recorded in the manifest).
        options: see `PrepareOptions`.
        progress: called with one-line progress messages (None: silent).

    Raises:
        ValueError: an empty corpus, duplicate line ids, a bad stroke array or an unknown
            character (each naming the line).
        FileExistsError: ``out`` exists and ``options.overwrite`` is false.
    """
    options = options or PrepareOptions()
    say = progress or (lambda _msg: None)
    if options.examples_per_shard < 1:
        raise ValueError(f"examples_per_shard must be >= 1, got {options.examples_per_shard}")
    if len(corpus) == 0:
        raise ValueError(f"{source}: no lines to prepare")
    seen: dict[str, int] = {}
    for i, line_id in enumerate(corpus.line_ids):
        if line_id in seen:
            raise ValueError(f"{source}: line id {line_id!r} appears twice (lines {seen[line_id]} and {i})")
        seen[line_id] = i
    strokes = [validate_strokes(s, source=f"{source}: line {i} ({lid})")
               for i, (s, lid) in enumerate(zip(corpus.strokes, corpus.line_ids))]
    alphabet = options.alphabet or fit_alphabet(corpus.texts)
    codes = [alphabet.encode(t, unknown=options.unknown, source=f"{source}: line {i} ({lid})")
             for i, (t, lid) in enumerate(zip(corpus.texts, corpus.line_ids))]
    split = split_by_form(corpus.line_ids, options.validation_fraction, options.split_seed)
    if not split["train"]:
        raise ValueError(f"{source}: no training lines after the split (validation_fraction too high?)")
    normalizer = Normalizer.fit(strokes[i] for i in split["train"])

    manifest = {
        "format": tfrecords.FORMAT,
        "created_by": f"hwsr {__version__}",
        "source": str(source),
        "num_examples": len(corpus),
        "num_points": int(sum(len(s) for s in strokes)),
        "alphabet": tfrecords.ALPHABET_FILE,
        "stats": tfrecords.STATS_FILE,
        "unknown": options.unknown,
        "split": {"method": "by_form", "seed": options.split_seed,
                  "validation_fraction": options.validation_fraction},
        "record": {
            "strokes": "bytes: little-endian float32 [T, 3] rows [eos, dx, dy], raw (not normalised)",
            "codes": "int64 list: text encoded with alphabet.json",
            "line_id": "bytes (UTF-8)",
            "text": "bytes (UTF-8)",
            "index": "int64: position of the line in the source",
        },
        "splits": {},
    }
    form_ids = corpus.form_ids
    plan = []
    for name in tfrecords.SPLITS:
        idx = split[name]
        num_shards = math.ceil(len(idx) / options.examples_per_shard)
        names = tfrecords.shard_names(name, num_shards)
        counts = [len(chunk) for chunk in np.array_split(np.arange(len(idx)), num_shards)] if idx else []
        manifest["splits"][name] = {
            "num_examples": len(idx),
            "num_points": int(sum(len(strokes[i]) for i in idx)),
            "num_forms": len({form_ids[i] for i in idx}),
            "shards": names,
            "shard_sizes": counts,
        }
        plan.append((name, idx, names, counts))

    def write_files(directory: str) -> None:
        _write_text(tfrecords.join(directory, tfrecords.ALPHABET_FILE),
                    json.dumps(alphabet.to_dict(), indent=2, ensure_ascii=False) + "\n")
        _write_text(tfrecords.join(directory, tfrecords.STATS_FILE),
                    json.dumps(normalizer.to_dict(), indent=2) + "\n")
        for name, idx, names, counts in plan:
            done = 0
            for shard, count in zip(names, counts):
                chunk = idx[done : done + count]
                tfrecords.write_shard(
                    tfrecords.join(directory, shard),
                    (tfrecords.serialize_example(strokes[i], codes[i], corpus.line_ids[i], corpus.texts[i], i)
                     for i in chunk),
                )
                done += count
                say(f"{name}: wrote {shard} ({done}/{len(idx)} lines)")

    manifest_text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    if tfrecords.is_remote(out):
        _prepare_remote(out, write_files, manifest_text, [n for _, _, names, _ in plan for n in names],
                        options.overwrite)
    else:
        with atomic_directory(out, overwrite=options.overwrite) as tmp:
            write_files(str(tmp))
            _write_text(os.path.join(tmp, tfrecords.MANIFEST_FILE), manifest_text)
    return manifest


def _write_text(path: str, text: str) -> None:
    with tf.io.gfile.GFile(path, "w") as f:
        f.write(text)


def _prepare_remote(out: str, write_files, manifest_text: str, shards: list[str], overwrite: bool) -> None:
    """Builds a remote prepared dir: ``<out>.partial-<pid>/``, moved file by file, manifest last."""
    out = out.rstrip("/")
    manifest_path = tfrecords.join(out, tfrecords.MANIFEST_FILE)
    if tfrecords.gfile_exists(out) and tf.io.gfile.listdir(out):
        if not overwrite:
            raise FileExistsError(f"{out} already exists (pass --overwrite to replace it)")
        # The dir stops being a prepared dir first, so no reader mixes old and new files.
        if tfrecords.gfile_exists(manifest_path):
            tf.io.gfile.remove(manifest_path)
    partial = f"{out}.partial-{os.getpid()}"
    tf.io.gfile.makedirs(partial)
    try:
        write_files(partial)
        tf.io.gfile.makedirs(out)
        keep = {tfrecords.ALPHABET_FILE, tfrecords.STATS_FILE, *shards}
        for name in sorted(keep):
            tf.io.gfile.rename(tfrecords.join(partial, name), tfrecords.join(out, name), overwrite=True)
        for name in tf.io.gfile.listdir(out):  # Shards of an overwritten, larger set.
            name = name.rstrip("/")
            if name.endswith(".tfrecord") and name not in keep:
                tf.io.gfile.remove(tfrecords.join(out, name))
        _write_text(manifest_path, manifest_text)
    finally:
        if tfrecords.gfile_exists(partial):
            tf.io.gfile.rmtree(partial)

