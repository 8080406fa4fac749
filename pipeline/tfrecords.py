"""Prepared data sets: sharded TFRecords of raw lines, with a manifest.

A prepared dir (written by `hwsr.pipeline.prepare.prepare` / ``hwsr data prepare``) holds::

    manifest.json                      format "hwsr.prepared/1": counts, shards, split, source
    alphabet.json                      the `hwsr.alphabet.Alphabet` the codes were made with
    stats.json                         a `hwsr.strokes.Normalizer` fitted on the train split
    train-00000-of-00012.tfrecord ...  one `tf.train.Example` per line
    validation-00000-of-00001.tfrecord

Each record stores the RAW line (not normalised, not downsampled), so one prepared set
serves every task:

* ``strokes``: bytes, little-endian float32 ``[T, 3]`` rows of ``[eos, dx, dy]``;
* ``codes``: int64 list, the text encoded with ``alphabet.json``;
* ``line_id``, ``text``: bytes (UTF-8);
* ``index``: int64, the line's position in the source, so `read_prepared_corpus` gives
  back the source's order.

``manifest.json`` is written last: a dir without it is incomplete and every reader here
refuses it. All I/O goes through ``tf.io.gfile`` / ``TFRecordDataset``, so ``s3://``,
``hdfs://`` and ``az://`` paths work where a file system for them is registered (install
``hwsr[io]`` for tensorflow-io).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

import numpy as np
import tensorflow as tf

from hwsr.pipeline.corpus import LineCorpus

FORMAT = "hwsr.prepared/1"
MANIFEST_FILE = "manifest.json"
ALPHABET_FILE = "alphabet.json"
STATS_FILE = "stats.json"
SPLITS = ("train", "validation")

_FEATURES = {
    "strokes": tf.io.FixedLenFeature([], tf.string),
    "codes": tf.io.VarLenFeature(tf.int64),
    "line_id": tf.io.FixedLenFeature([], tf.string),
    "text": tf.io.FixedLenFeature([], tf.string),
    "index": tf.io.FixedLenFeature([], tf.int64),
}


class PreparedDataError(ValueError):
    """A prepared dir that is missing, incomplete or not in the expected format."""


# Paths ---------------------------------------------------------------------------------------


def join(path: str, *names: str) -> str:
    """Joins path parts; works for local paths and URLs (``s3://bucket/dir``)."""
    return "/".join([str(path).rstrip("/"), *names]) if is_remote(path) else os.path.join(path, *names)


def is_remote(path: str | os.PathLike) -> bool:
    """True for URL-style paths (``s3://``, ``gs://``, ``hdfs://``...), handled by tf.io.gfile."""
    return "://" in str(path) and not str(path).startswith("file://")


def _filesystem_error(path: str, error: Exception) -> PreparedDataError:
    scheme = str(path).split("://", 1)[0]
    return PreparedDataError(
        f"{path}: no file system for {scheme}:// paths in this TensorFlow ({error.__class__.__name__}); "
        "install the io extra (pip install 'hwsr[io]', which adds tensorflow-io)"
    )


def gfile_exists(path: str) -> bool:
    """``tf.io.gfile.exists`` with a clear error for an unsupported URL scheme."""
    try:
        return tf.io.gfile.exists(path)
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError) as e:
        raise _filesystem_error(path, e) from None


# Records -------------------------------------------------------------------------------------


def serialize_example(strokes: np.ndarray, codes: np.ndarray, line_id: str, text: str, index: int) -> bytes:
    """One line as a serialised ``tf.train.Example`` (see the module docstring)."""
    strokes = np.asarray(strokes, dtype="<f4")
    if strokes.ndim != 2 or strokes.shape[1] != 3:
        raise ValueError(f"{line_id}: strokes must be [T, 3], got {list(strokes.shape)}")
    feature = {
        "strokes": tf.train.Feature(bytes_list=tf.train.BytesList(value=[strokes.tobytes()])),
        "codes": tf.train.Feature(int64_list=tf.train.Int64List(value=np.asarray(codes).tolist())),
        "line_id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[line_id.encode("utf-8")])),
        "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[text.encode("utf-8")])),
        "index": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(index)])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def parse_example(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
    """Parses one serialised record in a tf.data graph.

    Returns:
        ``{"strokes": [T, 3] float32, "codes": [U] int32, "line_id": string,
        "text": string, "index": int64}``.
    """
    parsed = tf.io.parse_single_example(serialized, _FEATURES)
    strokes = tf.reshape(tf.io.decode_raw(parsed["strokes"], tf.float32, little_endian=True), [-1, 3])
    codes = tf.cast(tf.sparse.to_dense(parsed["codes"]), tf.int32)
    return {
        "strokes": strokes,
        "codes": codes,
        "line_id": parsed["line_id"],
        "text": parsed["text"],
        "index": parsed["index"],
    }


def decode_example(serialized: bytes) -> tuple[np.ndarray, np.ndarray, str, str, int]:
    """Parses one serialised record in Python: ``(strokes, codes, line_id, text, index)``."""
    feature = tf.train.Example.FromString(serialized).features.feature
    strokes = np.frombuffer(feature["strokes"].bytes_list.value[0], dtype="<f4").astype(np.float32)
    return (
        strokes.reshape(-1, 3),
        np.asarray(feature["codes"].int64_list.value, dtype=np.int32),
        feature["line_id"].bytes_list.value[0].decode("utf-8"),
        feature["text"].bytes_list.value[0].decode("utf-8"),
        int(feature["index"].int64_list.value[0]),
    )


def shard_names(split: str, num_shards: int) -> list[str]:
    """``["train-00000-of-00003.tfrecord", ...]``."""
    return [f"{split}-{i:05d}-of-{num_shards:05d}.tfrecord" for i in range(num_shards)]


def write_shard(path: str, records: Iterable[bytes]) -> int:
    """Writes serialised records to one TFRecord file (tf.io, any file system); returns the count."""
    count = 0
    with tf.io.TFRecordWriter(path) as writer:
        for record in records:
            writer.write(record)
            count += 1
    return count


# Prepared dirs -------------------------------------------------------------------------------


def is_prepared_dir(path: str) -> bool:
    """True when ``path`` is a complete prepared dir (it has a ``manifest.json``).

    Raises:
        PreparedDataError: for a URL whose file system is not available (e.g. ``s3://``
            without tensorflow-io).
    """
    return gfile_exists(join(str(path), MANIFEST_FILE))


def read_manifest(path: str) -> dict:
    """Reads and checks ``path/manifest.json``.

    Raises:
        PreparedDataError: no manifest (not a prepared dir, or an incomplete one), bad JSON,
            or another format.
    """
    path = str(path)
    manifest_path = join(path, MANIFEST_FILE)
    if not gfile_exists(manifest_path):
        raise PreparedDataError(
            f"{path}: not a prepared data dir (no {MANIFEST_FILE}; an interrupted "
            "'hwsr data prepare' leaves none: run it again)"
        )
    try:
        with tf.io.gfile.GFile(manifest_path, "r") as f:
            manifest = json.loads(f.read())
    except json.JSONDecodeError as e:
        raise PreparedDataError(f"{manifest_path}: not valid JSON ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise PreparedDataError(f"{manifest_path}: expected format {FORMAT!r}, found {found!r}")
    for split in SPLITS:
        info = manifest.get("splits", {}).get(split)
        if not isinstance(info, dict) or not isinstance(info.get("shards"), list):
            raise PreparedDataError(f"{manifest_path}: no shard list for split {split!r}")
    return manifest


def shard_paths(path: str, split: str, manifest: dict | None = None) -> list[str]:
    """Full paths of the shards of ``split`` (checked to exist)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    manifest = manifest or read_manifest(path)
    paths = [join(str(path), name) for name in manifest["splits"][split]["shards"]]
    for p in paths:
        if not gfile_exists(p):
            raise PreparedDataError(f"{p}: shard listed in {MANIFEST_FILE} is missing")
    return paths


def read_prepared_corpus(path: str) -> LineCorpus:
    """Reads every line of a prepared dir (all splits) back, in the source's order."""
    manifest = read_manifest(path)
    rows = []
    for split in SPLITS:
        for shard in shard_paths(path, split, manifest):
            try:
                for record in tf.data.TFRecordDataset(shard).as_numpy_iterator():
                    rows.append(decode_example(record))
            except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
                raise PreparedDataError(f"{shard}: corrupt TFRecord file ({e.message})") from None
    if len(rows) != manifest.get("num_examples", len(rows)):
        raise PreparedDataError(
            f"{path}: {len(rows)} records in the shards, but {MANIFEST_FILE} says {manifest['num_examples']}"
        )
    rows.sort(key=lambda r: r[4])
    return LineCorpus([r[0] for r in rows], [r[3] for r in rows], [r[2] for r in rows])


def prepared_dataset(
    path: str,
    split: str,
    *,
    with_metadata: bool = False,
    skip_empty: bool = True,
    shuffle_files: bool = False,
    seed: int | None = None,
    deterministic: bool = True,
) -> tf.data.Dataset:
    """An unbatched dataset of ``{"strokes": [T, 3] float32, "codes": [U] int32}``.

    The same elements as `hwsr.pipeline.datasets.from_arrays`, so it feeds
    `hwsr.pipeline.datasets.synthesis_batches` / `recognition_batches`. The strokes are RAW
    (not normalised, not downsampled). The shards are listed with
    ``tf.data.Dataset.list_files`` and read with ``interleave``, so ``tf.distribute``
    auto-sharding by FILE gives each worker its own shards.

    Args:
        path: a prepared dir (local or a URL such as ``s3://bucket/prepared``).
        split: ``"train"`` or ``"validation"``.
        with_metadata: also yield ``line_id``, ``text`` and ``index``.
        skip_empty: leave out lines whose text encodes to no codes (useless for training).
        shuffle_files: shuffle the shard order (each epoch) with ``seed``.
        seed: seed of the file shuffle.
        deterministic: keep a deterministic element order in the parallel reads and maps.
    """
    manifest = read_manifest(path)
    paths = shard_paths(path, split, manifest)
    if not paths:
        raise PreparedDataError(f"{path}: split {split!r} has no shards (no lines)")
    files = tf.data.Dataset.list_files(paths, shuffle=shuffle_files, seed=seed)
    ds = files.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(len(paths), 8),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=deterministic,
    )
    ds = ds.map(parse_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    if skip_empty:
        ds = ds.filter(lambda e: tf.size(e["codes"]) > 0)
    if not with_metadata:
        ds = ds.map(lambda e: {"strokes": e["strokes"], "codes": e["codes"]})
    return ds
