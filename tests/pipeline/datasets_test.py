"""Tests for hwsr.pipeline.datasets: padding, shifting, masks, bucketing, order, distribution."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from hwsr.pipeline import datasets

LENGTHS = [5, 9, 3, 12, 7, 20, 4, 15, 8, 11]


def make_examples(lengths=LENGTHS):
    """Strokes whose rows are numbered (row t of line i holds 100 * i + t) so shifts are visible."""
    strokes, codes = [], []
    for i, n in enumerate(lengths):
        s = np.zeros((n, 3), np.float32)
        s[:, 1] = 100 * i + np.arange(n)
        s[:, 2] = -(100 * i + np.arange(n))
        s[-1, 0] = 1
        strokes.append(s)
        codes.append(np.arange(2, 2 + 1 + i % 4, dtype=np.int32))
    return strokes, codes


def config(**kwargs) -> datasets.BatchingConfig:
    defaults = {"batch_size": 4, "shuffle_buffer": 0, "repeat": False}
    return datasets.BatchingConfig(**{**defaults, **kwargs})


def line_of(strokes_row) -> int:
    """The line index encoded in a (non-padding) row."""
    return int(strokes_row[1]) // 100


def test_from_arrays_elements():
    strokes, codes = make_examples()
    ds = datasets.from_arrays(strokes, codes)
    assert ds.element_spec == {
        "strokes": tf.TensorSpec([None, 3], tf.float32),
        "codes": tf.TensorSpec([None], tf.int32),
    }
    for e, s, c in zip(ds.as_numpy_iterator(), strokes, codes):
        np.testing.assert_array_equal(e["strokes"], s)
        np.testing.assert_array_equal(e["codes"], c)


def test_from_arrays_errors():
    strokes, codes = make_examples()
    with pytest.raises(ValueError, match="10 stroke arrays but 9 code arrays"):
        datasets.from_arrays(strokes, codes[:-1])
    with pytest.raises(ValueError, match="empty dataset"):
        datasets.from_arrays([], [])


def test_synthesis_batches_shift_pad_and_mask():
    strokes, codes = make_examples()
    batches = list(datasets.synthesis_batches(datasets.from_arrays(strokes, codes), config()))
    assert [b[0]["strokes"].shape[0] for b in batches] == [4, 4, 2]
    seen = 0
    for x, y in batches:
        inputs, chars = x["strokes"].numpy(), x["chars"].numpy()
        targets, mask = y["targets"].numpy(), y["mask"].numpy()
        assert inputs.shape == targets.shape and mask.shape == inputs.shape[:2]
        assert mask.dtype == np.float32
        for b in range(inputs.shape[0]):
            i = seen + b  # No shuffle: batches come in order.
            n = LENGTHS[i]
            np.testing.assert_array_equal(inputs[b, : n - 1], strokes[i][:-1])
            np.testing.assert_array_equal(targets[b, : n - 1], strokes[i][1:])
            np.testing.assert_array_equal(mask[b], (np.arange(inputs.shape[1]) < n - 1).astype(np.float32))
            # Input row n-1 is the line's last point (its target is padding, masked out).
            assert not inputs[b, n:].any() and not targets[b, n - 1 :].any()
            np.testing.assert_array_equal(chars[b, : len(codes[i])], codes[i])
            assert not chars[b, len(codes[i]) :].any()
        # The batch is padded to its longest line (minus the shift).
        assert inputs.shape[1] == max(LENGTHS[seen : seen + inputs.shape[0]]) - 1
        seen += inputs.shape[0]
    assert seen == len(LENGTHS)


def test_recognition_batches_lengths_and_labels():
    strokes, codes = make_examples()
    x, y = next(iter(datasets.recognition_batches(datasets.from_arrays(strokes, codes), config())))
    np.testing.assert_array_equal(x["lengths"].numpy(), LENGTHS[:4])
    assert x["strokes"].shape == (4, max(LENGTHS[:4]), 3)
    np.testing.assert_array_equal(y["label_lengths"].numpy(), [len(c) for c in codes[:4]])
    for b in range(4):
        np.testing.assert_array_equal(x["strokes"][b, : LENGTHS[b]].numpy(), strokes[b])
        assert not x["strokes"][b, LENGTHS[b] :].numpy().any()
        np.testing.assert_array_equal(y["labels"][b, : len(codes[b])].numpy(), codes[b])


def test_bucketing_groups_similar_lengths_and_pads_to_boundaries():
    lengths = [3, 30, 4, 31, 5, 32, 6, 33, 7, 34, 60, 61]
    strokes, codes = make_examples(lengths)
    boundaries = (10, 40, 70)
    cfg = config(batch_size=2, bucket_boundaries=boundaries, pad_to_bucket_boundary=True)
    lengths_per_batch = []
    for x, _ in datasets.recognition_batches(datasets.from_arrays(strokes, codes), cfg):
        batch_lengths = x["lengths"].numpy().tolist()
        lengths_per_batch.append(batch_lengths)
        bucket = np.searchsorted(boundaries, batch_lengths, side="right")
        assert len(set(bucket.tolist())) == 1, batch_lengths  # One bucket per batch.
        assert x["strokes"].shape[1] == boundaries[bucket[0]] - 1  # Fixed, boundary-sized padding.
    assert sorted(n for b in lengths_per_batch for n in b) == sorted(lengths)

    plain = config(batch_size=2, bucket_boundaries=boundaries)
    for x, _ in datasets.recognition_batches(datasets.from_arrays(strokes, codes), plain):
        assert x["strokes"].shape[1] == max(x["lengths"].numpy())


def test_bad_batching_configs():
    ds = datasets.from_arrays(*make_examples())
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        datasets.synthesis_batches(ds, config(batch_size=0))
    with pytest.raises(ValueError, match="strictly increasing"):
        datasets.recognition_batches(ds, config(bucket_boundaries=(20, 10)))


def _order(seed, shuffle_buffer=10):
    strokes, codes = make_examples()
    cfg = config(batch_size=1, shuffle_buffer=shuffle_buffer, seed=seed)
    return [line_of(x["strokes"][0, 0].numpy())
            for x, _ in datasets.recognition_batches(datasets.from_arrays(strokes, codes), cfg)]


def test_seeded_shuffle_is_deterministic():
    assert _order(seed=7) == _order(seed=7)
    assert _order(seed=7) != _order(seed=8)
    assert sorted(_order(seed=7)) == list(range(len(LENGTHS)))
    assert _order(seed=7, shuffle_buffer=0) == list(range(len(LENGTHS)))


def test_repeat_and_drop_remainder():
    strokes, codes = make_examples()
    cfg = config(batch_size=4, repeat=True, drop_remainder=True, shuffle_buffer=5, seed=0)
    ds = datasets.synthesis_batches(datasets.from_arrays(strokes, codes), cfg)
    assert ds.element_spec[0]["strokes"].shape[0] == 4  # Static batch size.
    batches = list(ds.take(6))  # 24 lines: more than one pass over the 10.
    assert len(batches) == 6
    cached = datasets.synthesis_batches(datasets.from_arrays(strokes, codes), config(cache=True))
    assert sum(x["strokes"].shape[0] for x, _ in cached) == 10


def test_mirrored_strategy_splits_the_global_batch():
    cpus = tf.config.list_logical_devices("CPU")
    if len(cpus) < 2:
        pytest.fail("conftest should split the CPU into 2 logical devices")
    strategy = tf.distribute.MirroredStrategy([d.name for d in cpus[:2]])
    assert strategy.num_replicas_in_sync == 2
    strokes, codes = make_examples()
    cfg = config(batch_size=4, drop_remainder=True)
    ds = datasets.recognition_batches(datasets.from_arrays(strokes, codes), cfg)
    dist = strategy.experimental_distribute_dataset(ds)
    got = []
    for x, y in dist:
        parts = strategy.experimental_local_results(x["lengths"])
        assert [int(p.shape[0]) for p in parts] == [2, 2]  # Global batch 4 over 2 replicas.
        labels = strategy.experimental_local_results(y["labels"])
        assert all(p.shape[0] == 2 for p in labels)
        got.extend(n for p in parts for n in p.numpy().tolist())
    assert got == LENGTHS[:8]  # Two full global batches, in order, nothing lost or duplicated.
