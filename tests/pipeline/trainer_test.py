"""Tests for hwsr.pipeline.trainer pieces that need no training run (those are in
distributed_test.py and resume_test.py)."""

from __future__ import annotations

import pytest
import tensorflow as tf

from hwsr.pipeline.configs import resolve_config
from hwsr.pipeline.examples import Examples
from hwsr.pipeline.tasks import get_task
from hwsr.pipeline.trainer import (
    TrainingError,
    check_model_dir,
    epoch_segments,
    prepare_data,
    train,
)


@pytest.mark.parametrize("step, total, spe, expected", [
    (0, 6, 2, [(0, 3, 2)]),
    (4, 6, 2, [(2, 3, 2)]),
    (6, 6, 2, []),
    (9, 6, 2, []),
    (3, 8, 2, [(1, 2, 1), (2, 4, 2)]),      # Interrupted mid-epoch: finish that epoch first.
    (0, 5, 2, [(0, 2, 2), (2, 3, 1)]),      # Budget not a whole number of epochs.
    (3, 4, 5, [(0, 1, 1)]),                 # Budget inside the interrupted epoch.
    (7, 23, 5, [(1, 2, 3), (2, 4, 5), (4, 5, 3)]),
])
def test_epoch_segments_end_exactly_at_the_budget(step, total, spe, expected):
    segments = epoch_segments(step, total, spe)
    assert segments == expected
    assert step + sum((e - i) * n for i, e, n in segments) == max(total, step)


def test_check_model_dir_refuses_another_network(tmp_path):
    cfg = resolve_config("recognition", "tiny")
    (tmp_path / "config.json").write_text(cfg.to_json())
    check_model_dir(get_task(cfg), tmp_path)  # Same config: fine.
    check_model_dir(get_task(resolve_config("recognition", "tiny", ["train.steps=99"])), tmp_path)
    with pytest.raises(TrainingError, match=r"recognition.units 16 -> 32"):
        check_model_dir(get_task(resolve_config("recognition", "tiny", ["recognition.units=32"])), tmp_path)
    with pytest.raises(TrainingError, match="holds a 'recognition' run"):
        check_model_dir(get_task(resolve_config("conditional_handwriting", "tiny")), tmp_path)


def test_mixed_precision_is_refused_on_cpu(tmp_path):
    assert not tf.config.list_logical_devices("GPU")
    cfg = resolve_config("recognition", "tiny", [f"data.source={tmp_path}",
                                                 "train.mixed_precision=mixed_bfloat16"])
    with pytest.raises(TrainingError, match="needs a GPU"):
        train(cfg, tmp_path / "m")


def test_prepare_data_errors(tmp_path):
    cfg = resolve_config("recognition", "tiny", [f"data.source={tmp_path / 'missing'}"])
    with pytest.raises(TrainingError, match="does not exist"):
        prepare_data(get_task(cfg), None)


def test_datasets_are_data_sharded_and_batches_global(synthetic_strokes):
    import numpy as np

    cfg = resolve_config("recognition", "tiny", ["train.batch_size=4"])
    examples = Examples([synthetic_strokes] * 6, [np.array([3, 4, 5], np.int32)] * 6, ["l"] * 6)
    ds = get_task(cfg).make_dataset(examples, training=True, seed=0)
    policy = ds.options().experimental_distribute.auto_shard_policy
    assert policy == tf.data.experimental.AutoShardPolicy.DATA
    x, y = next(iter(ds))
    assert x["strokes"].shape[0] == 4 and y["labels"].shape[0] == 4
    full = list(get_task(cfg).make_dataset(examples, training=False, seed=0, full_batches=True).take(3))
    assert [b[0]["strokes"].shape[0] for b in full] == [4, 4, 4]  # No short batch: no empty replica.
    one_pass = list(get_task(cfg).make_dataset(examples, training=False, seed=0))
    assert [b[0]["strokes"].shape[0] for b in one_pass] == [4, 2]


def test_the_end_of_a_bucketed_validation_pass_is_not_a_warning(tmp_path):
    # Bucketed validation batches have no known count, so Keras warns at the end of every pass
    # that the input "ran out of data; interrupting training": expected here, so not shown.
    import warnings

    from hwsr.pipeline.readers.npz_lines import write_npz_lines
    from hwsr.testing import random_lines

    lines, texts = random_lines(16, seed=2)
    data = write_npz_lines(tmp_path / "data", lines, texts, [f"r{i:02d}-000-01" for i in range(16)])
    cfg = resolve_config("conditional_handwriting", "tiny", [
        f"data.source={data}", "data.validation_fraction=0.3", "data.bucket_boundaries=[30, 60]",
        "train.validation_steps=null", "train.steps=2"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(cfg, tmp_path / "model")
    assert not [w for w in caught if "ran out of data" in str(w.message)]
