"""Tests for hwsr.pipeline.tfrecords: record format, prepared dirs, tf.data reading."""

from __future__ import annotations

import importlib.util
import json
import re

import numpy as np
import pytest
import tensorflow as tf

from hwsr.alphabet import Alphabet
from hwsr.pipeline import datasets, tfrecords
from hwsr.pipeline.corpus import LineCorpus
from hwsr.pipeline.prepare import PrepareOptions, prepare

TEXTS = ["Hello world.", "abc", "A quick fox", "it's 42!", "x", "Zebra (yes)"]


def make_corpus(rng_seed: int = 0, forms: int = 6, lines_per_form: int = 2) -> LineCorpus:
    """Lines built in code: random walks with pen lifts, raw units, several lines per form."""
    rng = np.random.default_rng(rng_seed)
    strokes, texts, ids = [], [], []
    for f in range(forms):
        for k in range(lines_per_form):
            n = int(rng.integers(8, 40))
            s = np.zeros((n, 3), np.float32)
            s[1:, 1:] = rng.integers(-30, 30, size=(n - 1, 2))
            s[rng.random(n) < 0.2, 0] = 1
            s[-1, 0] = 1
            strokes.append(s)
            texts.append(TEXTS[(f + k) % len(TEXTS)])
            ids.append(f"a{f:02d}-000-{k:02d}")
    return LineCorpus(strokes, texts, ids)


@pytest.fixture
def corpus():
    return make_corpus()


@pytest.fixture
def prepared(tmp_path, corpus):
    out = str(tmp_path / "prepared")
    options = PrepareOptions(validation_fraction=0.3, split_seed=0, examples_per_shard=3)
    manifest = prepare(corpus, out, source="synthetic", options=options)
    assert [manifest["splits"][s]["num_examples"] for s in tfrecords.SPLITS] == [8, 4]
    return out, manifest


def test_serialize_parse_and_decode_round_trip(synthetic_strokes):
    codes = np.array([5, 2, 80], np.int32)
    record = tfrecords.serialize_example(synthetic_strokes, codes, "a01-000u-01", "héllo ✓", 7)
    parsed = tfrecords.parse_example(tf.constant(record))
    np.testing.assert_array_equal(parsed["strokes"].numpy(), synthetic_strokes)
    assert parsed["strokes"].dtype == tf.float32 and parsed["codes"].dtype == tf.int32
    np.testing.assert_array_equal(parsed["codes"].numpy(), codes)
    assert parsed["line_id"].numpy().decode() == "a01-000u-01"
    assert parsed["text"].numpy().decode("utf-8") == "héllo ✓"
    assert int(parsed["index"]) == 7
    strokes, codes_back, line_id, text, index = tfrecords.decode_example(record)
    np.testing.assert_array_equal(strokes, synthetic_strokes)
    np.testing.assert_array_equal(codes_back, codes)
    assert (line_id, text, index) == ("a01-000u-01", "héllo ✓", 7)


def test_serialize_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"line-1: strokes must be \[T, 3\]"):
        tfrecords.serialize_example(np.zeros((4, 2)), [2], "line-1", "a", 0)


def test_read_prepared_corpus_gives_back_the_source_in_order(prepared, corpus):
    out, manifest = prepared
    assert tfrecords.is_prepared_dir(out)
    back = tfrecords.read_prepared_corpus(out)
    assert back.line_ids == corpus.line_ids
    assert back.texts == corpus.texts
    for a, b in zip(back.strokes, corpus.strokes):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    assert manifest["num_examples"] == len(corpus)


def test_prepared_dataset_matches_from_arrays(prepared, corpus):
    out, manifest = prepared
    alphabet = Alphabet.load(f"{out}/{tfrecords.ALPHABET_FILE}")
    for split in tfrecords.SPLITS:
        ds = tfrecords.prepared_dataset(out, split, with_metadata=True)
        rows = sorted(ds.as_numpy_iterator(), key=lambda e: e["index"])
        assert len(rows) == manifest["splits"][split]["num_examples"] > 0
        for row in rows:
            i = int(row["index"])
            np.testing.assert_array_equal(row["strokes"], corpus.strokes[i])
            assert alphabet.decode(row["codes"]) == corpus.texts[i]
            assert row["line_id"].decode() == corpus.line_ids[i]
    plain = tfrecords.prepared_dataset(out, "train")
    reference = datasets.from_arrays(corpus.strokes[:2], [np.array([2, 3], np.int32)] * 2)
    assert plain.element_spec == reference.element_spec


def test_prepared_dataset_feeds_the_batchers(prepared):
    out, _ = prepared
    config = datasets.BatchingConfig(batch_size=4, shuffle_buffer=0, repeat=False)
    x, y = next(iter(datasets.synthesis_batches(tfrecords.prepared_dataset(out, "train"), config)))
    assert x["strokes"].shape[0] == 4 and x["strokes"].shape[2] == 3
    assert y["targets"].shape == x["strokes"].shape
    # Extra keys (metadata) are dropped by the batchers rather than breaking padded_batch.
    meta = tfrecords.prepared_dataset(out, "train", with_metadata=True)
    x, y = next(iter(datasets.recognition_batches(meta, config)))
    assert set(x) == {"strokes", "lengths"} and set(y) == {"labels", "label_lengths"}


def test_prepared_dataset_skips_lines_without_codes(tmp_path):
    corpus = make_corpus(forms=2, lines_per_form=2)
    corpus.texts[1] = ""
    out = str(tmp_path / "p")
    prepare(corpus, out, "synthetic", PrepareOptions(validation_fraction=0.0))
    assert len(list(tfrecords.prepared_dataset(out, "train"))) == 3
    assert len(list(tfrecords.prepared_dataset(out, "train", skip_empty=False))) == 4


def test_file_auto_sharding_gives_each_worker_its_own_shards(prepared):
    from tensorflow.python.data.experimental.ops.distribute import _AutoShardDataset

    out, manifest = prepared
    names = manifest["splits"]["train"]["shards"]
    assert len(names) >= 2
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.FILE
    seen = []
    for worker in range(2):
        ds = tfrecords.prepared_dataset(out, "train", with_metadata=True).with_options(options)
        seen.append({int(e["index"]) for e in _AutoShardDataset(ds, 2, worker).as_numpy_iterator()})
    expected = []
    for worker in range(2):
        shards = [f"{out}/{n}" for n in names[worker::2]]
        records = tf.data.TFRecordDataset(shards).map(tfrecords.parse_example)
        expected.append({int(e["index"]) for e in records.as_numpy_iterator()})
    assert seen == expected
    assert not seen[0] & seen[1]
    assert len(seen[0] | seen[1]) == manifest["splits"]["train"]["num_examples"]


def test_shuffled_files_are_seeded(prepared):
    out, _ = prepared

    def order(seed):
        ds = tfrecords.prepared_dataset(out, "train", with_metadata=True, shuffle_files=True, seed=seed)
        return [int(e["index"]) for e in ds.as_numpy_iterator()]

    assert order(3) == order(3)
    assert sorted(order(3)) == sorted(order(4))


def test_incomplete_dir_is_refused(prepared):
    out, _ = prepared
    tf.io.gfile.remove(f"{out}/{tfrecords.MANIFEST_FILE}")
    assert not tfrecords.is_prepared_dir(out)
    with pytest.raises(tfrecords.PreparedDataError, match=r"no manifest\.json"):
        tfrecords.read_prepared_corpus(out)
    with pytest.raises(tfrecords.PreparedDataError, match="not a prepared data dir"):
        tfrecords.prepared_dataset(out, "train")


def test_bad_manifests_are_reported(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(tfrecords.PreparedDataError, match=r"manifest.json: not valid JSON"):
        tfrecords.read_manifest(str(tmp_path))
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "something/2"}))
    with pytest.raises(tfrecords.PreparedDataError, match=r"expected format 'hwsr\.prepared/1'"):
        tfrecords.read_manifest(str(tmp_path))


def test_missing_and_corrupt_shards_are_named(prepared):
    out, manifest = prepared
    first, second = manifest["splits"]["train"]["shards"][:2]
    with open(f"{out}/{second}", "r+b") as f:
        f.seek(20)
        f.write(b"\xff\xff\xff\xff")
    with pytest.raises(tfrecords.PreparedDataError, match=re.escape(f"{second}: corrupt TFRecord file")):
        tfrecords.read_prepared_corpus(out)
    tf.io.gfile.remove(f"{out}/{first}")
    missing = re.escape(f"{first}: shard listed in manifest.json is missing")
    with pytest.raises(tfrecords.PreparedDataError, match=missing):
        tfrecords.prepared_dataset(out, "train")


def test_unknown_split_is_rejected(prepared):
    out, _ = prepared
    with pytest.raises(ValueError, match="unknown split 'test'"):
        tfrecords.prepared_dataset(out, "test")


@pytest.mark.skipif(importlib.util.find_spec("tensorflow_io") is not None,
                    reason="tensorflow-io is installed, so s3:// is supported here")
def test_remote_path_without_filesystem_says_to_install_the_io_extra():
    with pytest.raises(tfrecords.PreparedDataError, match=r"s3://.*hwsr\[io\]"):
        tfrecords.is_prepared_dir("s3://some-bucket/prepared")


def test_ram_filesystem_round_trip(corpus):
    """A URL-style path (TensorFlow's in-memory ram://) goes through the remote write path."""
    out = "ram://hwsr-tfrecords-test/prepared"
    prepare(corpus, out, "synthetic", PrepareOptions(validation_fraction=0.3, split_seed=0,
                                                       examples_per_shard=4))
    assert not tf.io.gfile.exists(f"{out}.partial-{__import__('os').getpid()}/manifest.json")
    back = tfrecords.read_prepared_corpus(out)
    assert back.line_ids == corpus.line_ids
    n = sum(1 for _ in tfrecords.prepared_dataset(out, "train")) + sum(
        1 for _ in tfrecords.prepared_dataset(out, "validation"))
    assert n == len(corpus)
